"""Sphinx extension: the book's page of data sets, written at build time from the codebook and the data.

Loaded from `_config.yml` (`sphinx: local_extensions: {datasets_page: scripts/}`). The page
`chapters/datasets.md` holds an introduction and the line `{datasets-table}`; when Sphinx reads it
(`source-read`), that line becomes, in Markdown:

- a summary table: every data set with its rows, its groups, and the chapters and assignments
  that load it;
- one section per data set: its codebook entry from `data/README.md` (description, source and
  licence, every column with its meaning and unit), under the same facts.

Nothing on the page is typed twice: the rows and groups are counted in `data/*.csv` (groups are
the distinct values of the grouping columns that `mlmcourse.load_dataset` reads as text), and
"used in" comes from scanning the code cells of the book's notebooks and of the assignments'
master notebooks for `load_dataset("name")`. A data set added to `data/` and `data/README.md`
appears on the page at the next build; a CSV without a codebook entry, or an entry without a CSV,
is a build warning (an error under `--warningiserror`).

    python scripts/datasets_page.py     # prints the generated Markdown
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CODEBOOK = DATA / "README.md"
PAGE = "chapters/datasets"
MARKER = "{datasets-table}"
LOAD = re.compile(r"""load_dataset\(\s*["']([A-Za-z0-9_]+)["']""")


def codebook_sections(text):
    """Map each data set name to the Markdown of its codebook section (without its `## ` heading)."""
    parts = re.split(r"^## `([^`]+)`[ \t]*$", text, flags=re.M)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def shipped_names(data=DATA):
    """The data sets shipped: one CSV file each."""
    return sorted(path.stem for path in data.glob("*.csv"))


def grouping_columns(name):
    """The columns `mlmcourse.load_dataset` reads as text grouping factors (none if it does not know the set)."""
    sys.path.insert(0, str(ROOT))
    try:
        from mlmcourse import datasets
    finally:
        sys.path.remove(str(ROOT))
    dtypes = getattr(datasets, "_DATASETS", {}).get(name, (None, {}))[1]
    return [column for column, dtype in dtypes.items() if dtype is str]  # not categories such as a treatment


def facts(name, data=DATA):
    """Rows and groups of one data set, counted in its CSV file."""
    import pandas as pd

    frame = pd.read_csv(data / f"{name}.csv", dtype=str)
    groups = {column: frame[column].nunique() for column in grouping_columns(name) if column in frame}
    return {"rows": len(frame), "columns": frame.shape[1], "groups": groups}


def code_cells(path):
    notebook = json.loads(path.read_text())
    return "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")


def first_heading(path):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            found = re.search(r"^# (.+)$", "".join(cell["source"]), re.M)
            if found:
                return found.group(1).strip()
    return path.stem


def book_notebooks(root=ROOT):
    """The book's notebooks in reading order, as (docname, path)."""
    sys.path.insert(0, str(root / "tests"))
    try:
        from book_toc import toc_files
    finally:
        sys.path.remove(str(root / "tests"))
    found = [(file, root / f"{file}.ipynb") for file in toc_files()]
    return [(file, path) for file, path in found if path.is_file()]


def assignment_masters(root=ROOT):
    """The assignments' master notebooks (assignments/NAME/NAME.ipynb), in order."""
    return sorted(path for path in (root / "assignments").glob("*/*.ipynb") if path.stem == path.parent.name)


def uses(root=ROOT):
    """Map each data set name to the chapters (docnames) and assignments (titles) that load it."""
    used = {}
    for docname, path in book_notebooks(root):
        for name in dict.fromkeys(LOAD.findall(code_cells(path))):
            used.setdefault(name, {"chapters": [], "assignments": []})["chapters"].append(docname)
    for path in assignment_masters(root):
        for name in dict.fromkeys(LOAD.findall(code_cells(path))):
            used.setdefault(name, {"chapters": [], "assignments": []})["assignments"].append(first_heading(path))
    return used


def title_of(section):
    """The bold words that open a codebook section (`**High School and Beyond**: ...`)."""
    found = re.match(r"\*\*(.+?)\*\*", section)
    return found.group(1) if found else ""


def used_in(name, used, short=False):
    """Markdown for where a data set is used: chapter links, then assignments (linked to their page).

    `short` names an assignment by the words before its title's colon ("Assignment 1").
    """
    entry = used.get(name, {"chapters": [], "assignments": []})
    links = [f"{{doc}}`/{docname}`" for docname in entry["chapters"]]
    links += [f"{{doc}}`{title.split(':')[0] if short else title} </chapters/assignments>`"
              for title in entry["assignments"]]
    return ", ".join(links) if links else "not loaded by a chapter or assignment"


def groups_text(groups):
    return ", ".join(f"{count:,} `{column}`" for column, count in groups.items()) or "none"


def page_markdown(root=ROOT, warn=print):
    """The Markdown that replaces the marker line of the page; codebook mismatches go to `warn`."""
    data = root / "data"
    sections = codebook_sections((data / "README.md").read_text())
    shipped = shipped_names(data)
    for name in sorted(set(shipped) - set(sections)):
        warn(f"data/{name}.csv has no section '## `{name}`' in data/README.md, so the data page lacks it")
    for name in sorted(set(sections) - set(shipped)):
        warn(f"data/README.md describes '{name}' but there is no data/{name}.csv")
    names = [name for name in sections if name in shipped]  # the codebook's order
    used = uses(root)
    counted = {name: facts(name, data) for name in names}
    lines = ["| data set | rows | groups | used in |", "| --- | --- | --- | --- |"]
    for name in names:
        label = f"{{ref}}`{name} <data-{name}>`"
        lines.append(f"| {label}: {title_of(sections[name])} | {counted[name]['rows']:,} | "
                     f"{groups_text(counted[name]['groups'])} | {used_in(name, used, short=True)} |")
    for name in names:
        fact = counted[name]
        lines += ["", f"(data-{name})=", f"## `{name}`: {title_of(sections[name])}".rstrip(": "), "",
                  f"**Rows:** {fact['rows']:,}; **columns:** {fact['columns']}; **groups:** "
                  f"{groups_text(fact['groups'])}.  ",
                  f"**Used in:** {used_in(name, used)}.  ",
                  f"**Load it:** `mlmcourse.load_dataset(\"{name}\")`", "",
                  re.sub(r"^#{2,}", lambda m: "#" + m.group(0), sections[name], flags=re.M)]
    return "\n".join(lines) + "\n"


def fill_page(app, docname, source):
    """`source-read`: put the generated Markdown where the page has the marker line."""
    if docname != PAGE or MARKER not in source[0]:
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    env = app.env
    env.note_dependency(str(CODEBOOK))
    for path in [*DATA.glob("*.csv"), *(p for _, p in book_notebooks()), *assignment_masters()]:
        env.note_dependency(str(path))
    markdown = page_markdown(warn=lambda message: logger.warning(message, location=docname))
    source[0] = source[0].replace(MARKER, markdown)


def setup(app):
    app.connect("source-read", fill_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(page_markdown(warn=lambda message: print(f"warning: {message}", file=sys.stderr)))

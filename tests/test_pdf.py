"""The whole book as one PDF (`make pdf`): it builds offline, and nothing of the book is lost on the way.

The PDF is built once per run (the `book_pdf` fixture of the top-level conftest.py) with
scripts/book_pdf.py, and read back with poppler's pdftotext and pdfimages. Without TeX Live the
tests are skipped with one line saying why, except under `CI=true`, where that fails the run.
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_file

from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "mlmcourse.pdf"
# unicode-math typesets math letters from the Mathematical Alphanumeric Symbols block.
MATH_LETTERS = re.compile("[\U0001D400-\U0001D7FF]")
# What TeX that reached the page unrendered looks like: a control word, a dollar opening math
# (a dollar before a digit is money), a braced sub- or superscript.
RAW_TEX = re.compile(r"\\[A-Za-z]+|\$(?![\d\s])|[_^]\{")
WRAP_MARKS = "↪␣"  # what Sphinx puts where it folds a long code line


def source_of(file):
    return next((ROOT / file).parent.glob(f"{Path(file).name}.*"))


def notebook(file):
    return json.loads(source_of(file).read_text())


def title_of(file):
    """The first `# ` heading of a page."""
    path = source_of(file)
    if path.suffix == ".ipynb":
        text = "\n".join("".join(cell["source"]) for cell in notebook(file)["cells"] if cell["cell_type"] == "markdown")
    else:
        text = path.read_text()
    title = re.search(r"^# (.+)$", text, re.M).group(1).strip()
    return re.sub(r"[`*]", "", title)  # as printed: inline code and emphasis lose their marks


def markdown_of(file):
    """A page's Markdown: the .md file, or a notebook's Markdown cells."""
    path = source_of(file)
    if path.suffix == ".md":
        return path.read_text()
    return "\n".join("".join(cell["source"]) for cell in notebook(file)["cells"] if cell["cell_type"] == "markdown")


def code_text():
    """Every code cell and every text output of the book, and the Markdown pages' code blocks."""
    parts = []
    for file in toc_files():
        path = source_of(file)
        if path.suffix == ".ipynb":
            for cell in notebook(file)["cells"]:
                if cell["cell_type"] == "code":
                    parts.append("".join(cell["source"]))
                    for output in cell.get("outputs", []):
                        parts.append("".join(output.get("text", "")))
                        parts.append("".join(output.get("data", {}).get("text/plain", "")))
        parts.extend(block for _, block in re.findall(r"^(`{3,}).*?\n(.*?)^\1", markdown_of(file), re.S | re.M))
    return squeeze("\n".join(parts))


def squeeze(text):
    """Text without white space or code-folding marks, for comparing PDF lines with their source."""
    return re.sub(r"\s+", "", text.translate({ord(mark): None for mark in WRAP_MARKS}))


def plain(text):
    """Prose as the PDF prints it: typographic quotes made straight, white space squeezed, lower case."""
    return squeeze(text.translate(str.maketrans("‘’“”", "''\"\""))).lower()


def prose_of(file):
    """A page's Markdown without its code blocks and inline code (directives such as the glossary stay)."""
    kept, fences = [], []  # fences: for each open fence, whether it is a code block
    for line in markdown_of(file).splitlines():
        fence = re.match(r"^(`{3,})(\{?)", line)
        if fence and fences and line.strip() == fence.group(1):
            if fences.pop():
                continue
        elif fence:
            fences.append(not fence.group(2))
            if fences[-1]:
                continue
        if not any(fences):
            kept.append(line)
    return re.sub(r"`[^`\n]*`", "", "\n".join(kept))


CHAPTERS = toc_files()[1:]  # the root page is the book's front matter, not a chapter
NOTEBOOK_CHAPTERS = [file for file in CHAPTERS if source_of(file).suffix == ".ipynb"]


@pytest.fixture(scope="module")
def built(book_pdf):
    if book_pdf["reason"] is not None:
        message = f"PDF tests skipped: {book_pdf['reason']}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PDF tests cannot run under CI=true: {book_pdf['reason']}", pytrace=False)
        pytest.skip(message)
    return Path(book_pdf["latex"])


@pytest.fixture(scope="module")
def pdf(built):
    path = built / PDF_NAME
    assert path.is_file(), "no PDF was written"
    return path


@pytest.fixture(scope="module")
def pages(pdf):
    """The text of each page, in order."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def chapter_pages(pages):
    """The pages of each chapter, found by its opening page (`CHAPTER` and the title in capitals,
    which a long title wraps over two lines)."""
    starts = {}
    for file in CHAPTERS:
        title = " ".join(title_of(file).upper().split())
        starts[file] = next(i for i, page in enumerate(pages)
                            if "CHAPTER" in page and title in " ".join(page.split()))
    order = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in order[1:]] + [len(pages)]
    return {file: pages[start:end] for (file, start), end in zip(order, ends)}


def test_the_pdf_builds_without_latex_errors(book_pdf, built):
    log = (built / "mlmcourse.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert book_pdf["returncode"] == 0, book_pdf["output"]
    assert errors == []


def test_latex_resolves_every_reference_and_citation(built):
    log = (built / "mlmcourse.log").read_text(errors="replace")
    assert "There were undefined references" not in log
    assert not re.findall(r"(Reference|Citation|Hyper reference) `[^']*' on page \d+ undefined", log)


def test_the_pdf_carries_the_books_title(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    assert re.search(rf"^Title:\s+{re.escape(title)}$", info, re.M)


def front_matter(pages, chapter_pages):
    """The pages before the first chapter: the title page, the contents and the introduction."""
    return pages[:min(pages.index(found[0]) for found in chapter_pages.values())]


def test_every_chapter_is_in_the_table_of_contents(pages, chapter_pages):
    contents = "\n".join(front_matter(pages, chapter_pages))
    missing = [title_of(file) for file in CHAPTERS
               if not re.search(rf"^\s*\d+\s+{re.escape(title_of(file))}\s+\d+\s*$", contents, re.M)]
    assert missing == []


def test_every_part_of_the_toc_is_a_part_of_the_pdf(pages, chapter_pages):
    contents = "\n".join(front_matter(pages, chapter_pages))
    captions = [part["caption"] for part in yaml.safe_load((ROOT / "_toc.yml").read_text())["parts"]]
    assert [c for c in captions if not re.search(rf"^\s*[IVX]+\s+{re.escape(c)}\s+\d+\s*$", contents, re.M)] == []


def test_the_introduction_opens_the_book(pages, chapter_pages):
    front = squeeze("".join(front_matter(pages, chapter_pages)))
    first_sentence = re.search(r"^[A-Z][^\n]+", markdown_of(toc_files()[0]).split("\n\n", 1)[1], re.M).group(0)
    assert squeeze(first_sentence) in front


def test_every_figure_of_the_book_is_in_the_pdf(pdf):
    stored = sum(1 for file in NOTEBOOK_CHAPTERS for cell in notebook(file)["cells"] if cell["cell_type"] == "code"
                 for output in cell.get("outputs", []) if "image/png" in output.get("data", {}))
    stored += sum(len(re.findall(r"!\[|^[`:]{3,}\{(figure|image)\}", prose_of(file), re.M)) for file in toc_files())
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    images = [line for line in listing.splitlines()[2:] if line.split()[2] == "image"]
    assert stored > 0
    assert len(images) == stored


@pytest.mark.parametrize("file", NOTEBOOK_CHAPTERS)
def test_every_figure_caption_of_a_chapter_is_printed_under_its_number(file, chapter_pages):
    captions = [cell["metadata"]["mystnb"]["figure"]["caption"] for cell in notebook(file)["cells"]
                if cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")]
    text = plain("".join(chapter_pages[file]))
    number = CHAPTERS.index(file) + 1
    printed = re.findall(rf"fig\.{number}\.(\d+):", text)
    assert [int(n) for n in printed] == list(range(1, len(captions) + 1))
    assert [c for c in captions if plain(c.split("$")[0])[:40] not in text] == []


@pytest.mark.parametrize("file", NOTEBOOK_CHAPTERS)
def test_every_exercise_and_its_solution_is_printed(file, chapter_pages):
    markdown = markdown_of(file)
    exercises = len(re.findall(r"^[`:]{3,}\{exercise\}", markdown, re.M))
    solutions = len(re.findall(r"^[`:]{3,}\{solution(-start)?\}", markdown, re.M))
    text = "\n".join(chapter_pages[file])
    assert len(re.findall(r"^\s*Exercise \d+\.\d+\.\d+\s*$", text, re.M)) == exercises
    assert len(re.findall(r"^\s*Solution to Exercise \d+\.\d+\.\d+\s*$", text, re.M)) == solutions


def test_the_chapters_have_exercises_to_check():
    assert sum(len(re.findall(r"^[`:]{3,}\{exercise\}", markdown_of(file), re.M)) for file in NOTEBOOK_CHAPTERS) > 0


@pytest.mark.parametrize("file", CHAPTERS)
def test_a_chapter_with_equations_shows_typeset_math(file, chapter_pages):
    has_math = "$" in prose_of(file)
    assert bool(MATH_LETTERS.search("".join(chapter_pages[file]))) == has_math


def test_no_page_shows_raw_tex_outside_code(pages):
    code = code_text()
    leaks = [(number, line.strip()) for number, page in enumerate(pages, start=1) for line in page.splitlines()
             if RAW_TEX.search(line) and squeeze(line) not in code]
    assert leaks == []


def test_no_page_shows_a_missing_reference(pages):
    assert [number for number, page in enumerate(pages, start=1) if "??" in page] == []


def test_the_glossary_holds_every_term(chapter_pages):
    block = re.search(r"```\{glossary\}\n(.*?)```", (ROOT / "chapters" / "glossary.md").read_text(), re.S).group(1)
    terms = [line.strip() for line in block.splitlines() if line.strip() and not line.startswith(" ")]
    text = "\n".join(chapter_pages["chapters/glossary"]).replace("\u2019", "'")  # smart quotes
    assert len(terms) > 10
    assert [term for term in terms if not re.search(rf"^\s*{re.escape(term)}\s*$", text, re.M)] == []


def test_the_bibliography_lists_every_reference(pages):
    entries = parse_file(str(ROOT / "chapters" / "references.bib")).entries
    start = max(i for i, page in enumerate(pages) if re.search(r"^\s*BIBLIOGRAPHY\s*$", page, re.M))
    letters = lambda text: re.sub(r"[^0-9a-z]", "", plain(text))  # noqa: E731 (hyphens and dashes differ)
    text = letters("".join(pages[start:]))
    titles = {key: letters(entry.fields["title"])[:30] for key, entry in entries.items()}
    assert [key for key, title in titles.items() if title not in text] == []

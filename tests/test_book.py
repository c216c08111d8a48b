"""The book builds without a single Sphinx warning, offline, from the stored outputs."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mlmcourse
from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(out),
         "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


def test_book_builds_without_warnings(html):
    assert (html / "index.html").exists()


def test_every_toc_page_is_rendered(html):
    for file in toc_files():
        assert (html / Path(file).with_suffix(".html")).exists(), file


def test_mathjax_is_served_from_the_book_not_a_cdn(html):
    page = (html / "chapters" / "intro.html").read_text()
    assert "_static/mathjax/tex-chtml.js" in page
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert "cdn.jsdelivr.net/npm/mathjax" not in page


def test_stray_markdown_outside_the_toc_is_not_built(html):
    assert not (html / "README.html").exists()
    assert not (html / "data" / "README.html").exists()


def test_chapter_pages_offer_their_notebook_for_download(html):
    for notebook in (ROOT / "chapters").glob("*.ipynb"):
        assert (html / "_sources" / "chapters" / notebook.name).exists(), notebook.name


def test_student_assignments_are_downloadable_but_no_solutions_are_published(html):
    published = [p.name for p in html.rglob("*") if p.is_file()]
    for student in (ROOT / "assignments").glob("*/dist/student/*.ipynb"):
        assert student.name in published, student.name
    assert not [name for name in published if name.endswith(".zip") and "autograder" in name]
    published_notebooks = {page.read_text() for page in html.rglob("*.ipynb")}
    for notebook in (ROOT / "assignments").rglob("*.ipynb"):
        if "student" not in notebook.parts:  # masters and autograder copies hold the solutions
            assert notebook.read_text() not in published_notebooks, notebook


# The data page (chapters/datasets.md, filled in at build time by scripts/datasets_page.py).

def data_sections(html):
    """Each data set section of the built data page, by name: its HTML."""
    page = (html / "chapters" / "datasets.html").read_text()
    parts = re.split(r'<span id="data-([A-Za-z0-9_]+)"></span>', page)
    return {name: body.split('<span id="data-')[0] for name, body in zip(parts[1::2], parts[2::2])}


def test_the_data_page_shows_every_shipped_data_set_and_no_other(html):
    shipped = {path.stem for path in (ROOT / "data").glob("*.csv")}
    assert set(mlmcourse.list_datasets()["name"]) == shipped
    assert set(data_sections(html)) == shipped


def test_the_data_page_counts_each_data_sets_rows_and_groups(html):
    for name, section in data_sections(html).items():
        data = mlmcourse.load_dataset(name)
        assert f"<strong>Rows:</strong> {len(data):,};" in section, name
        assert f"<strong>columns:</strong> {data.shape[1]};" in section, name
        groups = re.search(r"<strong>groups:</strong>(.*?)\.\s*<br", section, re.S).group(1)
        counts = re.findall(r'([\d,]+) <code[^>]*><span class="pre">([^<]+)</span></code>', groups)
        assert counts, name
        assert {column: int(count.replace(",", "")) for count, column in counts} == \
            {column: data[column].nunique() for _, column in counts}, name


def test_the_data_page_documents_every_column_with_source_and_licence(html):
    for name, section in data_sections(html).items():
        text = re.sub(r"<[^>]+>", "", section)
        assert "Source:" in text and "Licence:" in text, name
        for column in mlmcourse.load_dataset(name).columns:
            assert re.search(rf"<td><p><code[^>]*><span class=\"pre\">{re.escape(column)}</span></code></p></td>",
                             section), (name, column)


def test_the_data_page_links_every_chapter_and_assignment_that_loads_the_data(html):
    notebooks = [ROOT / f"{file}.ipynb" for file in toc_files() if (ROOT / f"{file}.ipynb").is_file()]
    masters = [path for path in (ROOT / "assignments").glob("*/*.ipynb") if path.stem == path.parent.name]
    sections = data_sections(html)
    for name, section in sections.items():
        call = f'load_dataset(\\"{name}\\")'  # as the notebook's JSON stores the code
        for notebook in notebooks:
            linked = f'href="{notebook.stem}.html"' in section
            assert linked == (call in notebook.read_text()), (name, notebook.name)
        used_by_assignments = sum(call in master.read_text() for master in masters)
        assert section.count('href="assignments.html"') == used_by_assignments, name

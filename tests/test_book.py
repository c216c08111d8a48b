"""The book builds without a single Sphinx warning, offline, from the stored outputs."""
import subprocess
import sys
from pathlib import Path

import pytest

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

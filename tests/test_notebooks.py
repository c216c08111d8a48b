"""The chapter notebooks are stored executed, in order, with captioned figures.

nbval re-runs every notebook and compares its outputs, but a notebook saved without outputs passes
nbval vacuously; these tests make sure there is something to compare.
"""
import re
from pathlib import Path

import nbformat
import pytest

from book_toc import toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]


def test_there_are_chapter_notebooks():
    assert NOTEBOOKS


def test_every_chapter_notebook_is_in_the_table_of_contents():
    listed = {Path(f).with_suffix("").as_posix() for f in toc_files()}
    for path in NOTEBOOKS:
        assert path.relative_to(ROOT).with_suffix("").as_posix() in listed, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_was_executed_in_order_from_a_fresh_kernel(path):
    counts = [cell.execution_count for cell in code_cells(path)]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cell(s) saved without running"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: cells ran out of order: {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_with_outputs_for_nbval_to_check(path):
    with_output = [cell for cell in code_cells(path) if cell.outputs]
    assert len(with_output) >= len(code_cells(path)) / 2, f"{path.name}: most cells have no output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_outputs_are_stored(path):
    for cell in code_cells(path):
        assert all(out.output_type != "error" for out in cell.outputs), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_a_caption_and_alt_text(path):
    for cell in code_cells(path):
        if any("image/png" in out.get("data", {}) for out in cell.outputs):
            figure = cell.metadata.get("mystnb", {}).get("figure", {})
            image = cell.metadata.get("mystnb", {}).get("image", {})
            assert figure.get("caption"), f"figure without a caption in cell:\n{cell.source}"
            assert len(image.get("alt", "")) > 30, f"figure without alt text in cell:\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_reads_a_file_that_a_downloaded_notebook_would_lack(path):
    """A chapter downloaded from the book runs with only the package installed: its data come
    through mlmcourse (the wheel ships them), never from a path into this repository."""
    reads = re.compile(r"read_(csv|json|text|parquet|pickle)\(|\bopen\(|np\.load|\.\./|_static")
    for cell in code_cells(path):
        assert not reads.search(cell.source), f"{path.name} reads a file:\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_memory_addresses_or_dates(path):
    unstable = re.compile(r"at 0x[0-9a-f]{6,}|\b20\d\d-\d\d-\d\d\b|\d\d:\d\d:\d\d")
    for cell in code_cells(path):
        for out in cell.outputs:
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert not unstable.search(text), f"unstable output in cell:\n{cell.source}\n{text}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_printed_output_is_stored_in_one_piece_per_stream(path):
    """`make execute` joins the chunks a kernel happens to split printed text into, so that
    re-executing an unchanged notebook leaves the file unchanged."""
    for cell in code_cells(path):
        kinds = [(out.output_type, out.get("name")) for out in cell.outputs]
        repeated = [a for a, b in zip(kinds, kinds[1:]) if a == b and a[0] == "stream"]
        assert not repeated, f"split {repeated[0][1]} output in cell:\n{cell.source}"

"""Give every chapter notebook a first cell that installs the course package on Colab.

    python scripts/add_colab_cell.py                  # every notebook in chapters/
    python scripts/add_colab_cell.py chapters/x.ipynb

The cell does nothing outside Colab. It is tagged `remove-cell` (hidden from the book) and
`nbval-skip` (nbval does not run it: it would need the network on Colab and does nothing here).
It is stored as if it had run first, as it does when the notebook is executed: execution count 1,
no output, and every later execution count moved up by one, so that the counts stay 1..n.

Running the script again changes nothing; a cell whose text has changed is brought up to date
without renumbering.
"""
import sys
from pathlib import Path

import nbformat

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
REPOSITORY = "https://github.com/mlmcourse/mlmcourse"
CELL_ID = "colab-install"
TAGS = ["remove-cell", "nbval-skip"]
SOURCE = f"""\
# On Google Colab, install the course's helper package (this does nothing anywhere else).
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "mlmcourse @ git+{REPOSITORY}\""""


def colab_cell():
    """The install cell, as stored after running first: count 1, no output."""
    return nbformat.v4.new_code_cell(SOURCE, metadata={"tags": list(TAGS)}, execution_count=1)


def shift_execution_counts(cells, by):
    """Move every stored execution count (cells and their results) up by `by`."""
    for cell in cells:
        if cell.cell_type != "code" or cell.execution_count is None:
            continue
        cell.execution_count += by
        for output in cell.outputs:
            if output.get("execution_count") is not None:
                output.execution_count += by


def is_colab_cell(cell):
    return cell.cell_type == "code" and cell.source.startswith(SOURCE.splitlines()[0])


def with_colab_cell(nb):
    """The notebook with the install cell first (added, or brought up to date); True if changed."""
    first = nb.cells[0] if nb.cells else None
    if first is not None and is_colab_cell(first):
        changed = first.source != SOURCE or first.metadata.get("tags") != TAGS
        first.source, first.metadata["tags"] = SOURCE, list(TAGS)
        return changed
    shift_execution_counts(nb.cells, 1)
    cell = colab_cell()
    if nb.nbformat_minor < 5:
        del cell["id"]  # cell ids came with nbformat 4.5
    else:
        cell.id = CELL_ID
    nb.cells.insert(0, cell)
    return True


def add_to(path):
    """Add or update the cell in the notebook at `path`; return True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    changed = with_colab_cell(nb)
    if changed:
        nbformat.write(nb, path)
    return changed


def main(paths):
    for path in [Path(p) for p in paths] or sorted(CHAPTERS.glob("*.ipynb")):
        print(f"{'added/updated' if add_to(path) else 'unchanged'}: {path}")


if __name__ == "__main__":
    main(sys.argv[1:])

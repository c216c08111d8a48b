"""Re-execute chapter notebooks in place, in order, so that their stored outputs are current.

    python scripts/execute_notebooks.py                 # every notebook in chapters/
    python scripts/execute_notebooks.py chapters/x.ipynb

Outputs are written without timing metadata, so that re-running an unchanged notebook leaves the
file unchanged.
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def execute(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nbformat.write(nb, path)


def merge_streams(outputs):
    """Join consecutive printed chunks: how the kernel splits them varies from run to run."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def main(paths):
    paths = [Path(p) for p in paths] or sorted(CHAPTERS.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path}")
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Regenerate the course assignments from their master notebooks with Otter Assign.

Each assignment is a folder ``assignments/<name>/`` holding the master notebook
``<name>.ipynb`` (Otter Assign format: solutions and tests). This script, for every master:

1. executes it in place, so that its stored outputs (which Otter Assign turns into the expected
   results of the tests) are current, saved as nbformat 4.4 without cell ids or timings so that
   regenerating an unchanged master changes nothing;
2. runs ``otter assign``, which grades the master's solutions against all of its tests (it fails
   unless they score 100 %) and writes ``dist/student/<name>.ipynb`` (the notebook to hand out)
   and ``dist/autograder/`` (the solutions notebook and ``<name>-autograder_<time>.zip``).

    python scripts/build_assignments.py              # every assignment
    python scripts/build_assignments.py a2-pooling-scottish-schools

It needs otter-grader and works offline. ``tests/test_assignments.py`` checks that the committed
``dist`` folders are what this script produces.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"


def masters():
    """The master notebooks, one per assignment folder, in name order."""
    return sorted(folder / f"{folder.name}.ipynb" for folder in ASSIGNMENTS.iterdir()
                  if (folder / f"{folder.name}.ipynb").is_file())


def normalise(path):
    """Save a notebook as nbformat 4.4: no cell ids, no execution timings."""
    nb = nbformat.read(path, as_version=4)
    nb.nbformat_minor = 4
    for cell in nb.cells:
        cell.pop("id", None)
        cell.metadata.pop("execution", None)
    path.write_text(nbformat.writes(nb, version=4) + "\n")


def execute(master):
    """Run the master notebook top to bottom and store its outputs in place."""
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--inplace", "--ExecutePreprocessor.record_timing=False",
                    "--ExecutePreprocessor.timeout=600", master.name],
                   cwd=master.parent, check=True, capture_output=True)
    normalise(master)


def assign(master, dist, *, run_tests=True):
    """Run Otter Assign on `master`, writing the student and autograder files into `dist`."""
    if dist.exists():
        shutil.rmtree(dist)
    command = [sys.executable, "-m", "otter", "assign", str(master), str(dist)]
    if not run_tests:
        command.append("--no-run-tests")
    result = subprocess.run(command, cwd=master.parent, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"otter assign failed for {master.name}:\n{result.stdout}\n{result.stderr}")


def build(master):
    execute(master)
    assign(master, master.parent / "dist")


def main(names):
    chosen = [m for m in masters() if not names or m.parent.name in names]
    unknown = set(names) - {m.parent.name for m in chosen}
    if unknown:
        sys.exit(f"Unknown assignment(s): {', '.join(sorted(unknown))}. "
                 f"Known: {', '.join(m.parent.name for m in masters())}.")
    for master in chosen:
        build(master)
        print(f"{master.parent.name}: student and autograder files in {master.parent / 'dist'}")


if __name__ == "__main__":
    main(sys.argv[1:])

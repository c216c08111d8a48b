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

The committed autograder zip holds the tests but not the course package. For grading in a
container (``otter grade`` with Docker, or Gradescope), make the release zips:

    python scripts/build_assignments.py --release    # -> _build/autograders/<name>-autograder.zip

Each is the committed zip plus, under ``files/``, the wheel of ``mlmcourse`` built from this
checkout, the course's ``constraints.txt`` and the commit it was built from (``COMMIT``); its
``environment.yml`` asks for the course's Python and installs the wheel with those constraints, so
the grading image runs the package the assignment was written for, not whatever a repository or
index offers on the day. Building the wheel needs no network.
"""
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ROOT / "assignments"
RELEASE_DIR = ROOT / "_build" / "autograders"
# The Python of the course environment (the one constraints.txt is resolved for); every master's
# ASSIGNMENT CONFIG asks for it with `python_version`, and the release zips' environment.yml too.
COURSE_PYTHON = "3.11"
# Where the grading container unpacks the autograder zip (otter's default autograder_dir).
CONTAINER_SOURCE = "/autograder/source"


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
    (master.parent / ".OTTER_LOG").unlink(missing_ok=True)  # the grader cell's event log


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


def committed_zip(name):
    (path,) = (ASSIGNMENTS / name / "dist" / "autograder").glob(f"{name}-autograder_*.zip")
    return path


def build_wheel(outdir):
    """Build the course package's wheel from this checkout, offline (no build isolation)."""
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(outdir),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = Path(outdir).glob("mlmcourse-*.whl")
    return wheel


def commit():
    """The commit of this checkout, with '-dirty' when it has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("-dirty" if dirty else "")


def release_environment(environment_yml, wheel_name):
    """The grading environment: the course's Python, otter as pinned, the shipped wheel, constraints."""
    env = yaml.safe_load(environment_yml)
    deps = [d for d in env["dependencies"] if not (isinstance(d, str) and d.startswith("python="))]
    pip = next(d for d in deps if isinstance(d, dict))
    pip["pip"] = ([f"-c {CONTAINER_SOURCE}/files/constraints.txt"]
                  + [r for r in pip["pip"] if r.startswith("otter-grader")]
                  + [f"{CONTAINER_SOURCE}/files/{wheel_name}"])
    env["dependencies"] = [f"python={COURSE_PYTHON}"] + deps
    return yaml.safe_dump(env, sort_keys=False)


def release(name, wheel, outdir=RELEASE_DIR):
    """Write ``<outdir>/<name>-autograder.zip``: the committed autograder plus the wheel and constraints."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / f"{name}-autograder.zip"
    with zipfile.ZipFile(committed_zip(name)) as source, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "environment.yml":
                data = release_environment(data.decode(), wheel.name).encode()
            out.writestr(item, data)
        out.write(wheel, f"files/{wheel.name}")
        out.write(ROOT / "constraints.txt", "files/constraints.txt")
        out.writestr("files/COMMIT", commit() + "\n")
    return target


def main(names):
    release_mode = "--release" in names
    names = [n for n in names if n != "--release"]
    chosen = [m for m in masters() if not names or m.parent.name in names]
    unknown = set(names) - {m.parent.name for m in chosen}
    if unknown:
        sys.exit(f"Unknown assignment(s): {', '.join(sorted(unknown))}. "
                 f"Known: {', '.join(m.parent.name for m in masters())}.")
    if release_mode:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = build_wheel(tmp)
            for master in chosen:
                print(f"{master.parent.name}: {release(master.parent.name, wheel)}")
        return
    for master in chosen:
        build(master)
        print(f"{master.parent.name}: student and autograder files in {master.parent / 'dist'}")


if __name__ == "__main__":
    main(sys.argv[1:])

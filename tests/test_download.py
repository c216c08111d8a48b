"""A downloaded chapter notebook runs outside the repository with only the built wheel installed.

Offline, a fresh virtual environment cannot download numpy, pandas or statsmodels, so it borrows
them from the project's environment through a `.pth` line naming that environment's
site-packages. A `.pth` line only appends a folder to `sys.path`; the `.pth` files inside it (such
as the editable install pointing at this checkout) are not read, so `mlmcourse` can only come from
the wheel installed into the fresh environment, which the test checks from inside the kernel.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Runs in the fresh environment: execute the notebook, then ask its kernel where mlmcourse lives.
EXECUTE = """
import json, sys
import nbformat
from nbclient import NotebookClient

path, report = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import mlmcourse, mlmcourse.datasets\\n"
    "print(mlmcourse.__file__)\\nprint(mlmcourse.datasets.DATA_DIR)"))
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
with open(report, "w") as f:
    json.dump({"where": nb.cells[-1].outputs[0]["text"].split()}, f)
"""


def shortest_chapter_notebook():
    return min((ROOT / "chapters").glob("*.ipynb"), key=lambda path: path.stat().st_size)


@pytest.fixture(scope="module")
def fresh_python(wheel, tmp_path_factory):
    """A new virtual environment holding the wheel, borrowing third-party packages read-only."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    site_packages = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                        check=True, capture_output=True, text=True).stdout.strip())
    (site_packages / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python, site_packages


def test_a_chapter_notebook_taken_out_of_the_repository_runs_with_only_the_wheel_installed(fresh_python, tmp_path):
    python, site_packages = fresh_python
    folder = tmp_path / "downloads"
    folder.mkdir()
    notebook = shutil.copy(shortest_chapter_notebook(), folder)
    env = {"PATH": f"{python.parent}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([str(python), "-c", EXECUTE, str(notebook), "report.json"], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    module, data_dir = json.loads((folder / "report.json").read_text())["where"]
    assert Path(module).is_relative_to(site_packages)
    assert Path(data_dir).is_relative_to(site_packages)
    assert not Path(module).is_relative_to(ROOT)

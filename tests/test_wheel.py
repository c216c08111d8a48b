"""The built wheel carries the data, so a downloaded notebook works outside the repository."""
import subprocess
import sys
import zipfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_every_dataset_and_the_codebook(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for csv in (ROOT / "data").glob("*.csv"):
        assert f"mlmcourse/data/{csv.name}" in names
    assert "mlmcourse/data/README.md" in names


def test_installed_wheel_loads_data_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, timeout=300)
    code = ("import mlmcourse; from mlmcourse.datasets import DATA_DIR; "
            "print(mlmcourse.__file__); print(DATA_DIR); print(mlmcourse.load_dataset('radon').shape)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": ""}, timeout=120, check=True)
    module, data_dir, shape = result.stdout.splitlines()
    assert module.startswith(str(target))
    assert data_dir.startswith(str(target))
    assert shape == "(919, 5)"

"""pytest set-up shared by the tests and the package's doctests.

(Kept at the top of the repository, outside the test paths, so that `--doctest-modules` does
not import it as a second module named `conftest` beside tests/browser/conftest.py.)
"""
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

import mlmcourse

# Draw off-screen in this process. (Not through MPLBACKEND: nbval's kernels would inherit it and
# store no figures.)
matplotlib.use("Agg")


def pytest_runtest_teardown(item):
    """Close the figures a test or doctest drew, so that memory stays flat."""
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def hsb():
    return mlmcourse.load_dataset("hsb")


@pytest.fixture(scope="module")
def radon():
    return mlmcourse.load_dataset("radon")


@pytest.fixture(scope="module")
def sleep():
    return mlmcourse.load_dataset("sleepstudy")


@pytest.fixture(scope="module")
def pastes():
    return mlmcourse.load_dataset("pastes")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The package built as a wheel, as a student would install it."""
    out = tmp_path_factory.mktemp("dist")
    root = Path(__file__).parent
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                    str(root)], check=True, capture_output=True, timeout=300)
    return next(out.glob("mlmcourse-*.whl"))

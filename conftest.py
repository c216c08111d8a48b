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


def _load_book_pdf():
    """scripts/book_pdf.py as a module (the scripts folder is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("book_pdf", Path(__file__).parent / "scripts" / "book_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


book_pdf_script = _load_book_pdf()


@pytest.fixture(scope="session")
def book_pdf(tmp_path_factory, worker_id):
    """The book built once as a PDF for the whole test run, shared by the pytest-xdist workers.

    Returns a dict: `reason` (why TeX is missing, else None), `returncode`, `output` (the build's
    last lines) and `latex` (the folder with mlmcourse.pdf and mlmcourse.log). The first worker
    to ask builds it under a lock; the others wait and read the same result. To check a PDF
    already built (`make pdf`), point `MLMCOURSE_BOOK_LATEX` at its folder (`_build/latex`).
    """
    import fcntl
    import json
    import os

    given = os.environ.get("MLMCOURSE_BOOK_LATEX")
    if given:
        assert (Path(given) / book_pdf_script.PDF_NAME).is_file(), f"MLMCOURSE_BOOK_LATEX={given} holds no PDF"
        return {"reason": None, "returncode": 0, "output": "", "latex": given}

    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    out, record = shared / "book-pdf", shared / "book-pdf.json"
    with open(shared / "book-pdf.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            reason = book_pdf_script.missing_tex_reason()
            result = {"reason": reason, "returncode": None, "output": "", "latex": str(out / "_build" / "latex")}
            if reason is None:
                completed, _ = book_pdf_script.build(out)
                result.update(returncode=completed.returncode,
                              output=completed.stdout[-4000:] + completed.stderr[-4000:])
            record.write_text(json.dumps(result))
        return json.loads(record.read_text())

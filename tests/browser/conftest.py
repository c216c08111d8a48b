"""The built book, served on localhost, and Debian's Chromium to read it with.

The book is built once per run into a temporary folder; to reuse a build, point
`MLMCOURSE_BOOK_HTML` at its `_build/html` folder. The browser is `/usr/bin/chromium`
(`scripts/ensure_chromium.sh` installs it) or `MLMCOURSE_CHROMIUM`. Without it the browser tests
are skipped with one line saying why, except under `CI=true`, where a missing browser fails the run.
"""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from browser_setup import CHROMIUM, CHROMIUM_ARGS, ROOT

PDF_NAME = "mlmcourse.pdf"  # scripts/book_pdf.py


@pytest.fixture(scope="session")
def book_html(tmp_path_factory):
    """The folder of the built HTML book."""
    given = os.environ.get("MLMCOURSE_BOOK_HTML")
    if given:
        html = Path(given)
        assert (html / "index.html").is_file(), f"MLMCOURSE_BOOK_HTML={given} holds no built book"
        return html
    out = tmp_path_factory.mktemp("browser-book")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(ROOT), "--path-output", str(out), "--keep-going"],
                            capture_output=True, text=True, timeout=600)
    html = out / "_build" / "html"
    assert (html / "index.html").is_file(), result.stdout[-3000:] + result.stderr[-3000:]
    return html


@pytest.fixture(scope="session")
def book_pdf_on_site(book_html, book_pdf):
    """The run's one PDF build (`book_pdf`, top-level conftest.py), put where `make book` puts it.

    Only the tests that follow the PDF link ask for it, so that the other browser tests need not
    wait for LaTeX. Without TeX Live there is no PDF, and the PDF link test says so.
    """
    pdf = Path(book_pdf["latex"]) / PDF_NAME
    if book_pdf["returncode"] == 0 and pdf.is_file():
        shutil.copy2(pdf, book_html / "_downloads" / PDF_NAME)
    return book_pdf


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the book without logging each request; `.ipynb` as JSON."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".ipynb": "application/json"}

    def log_message(self, format, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser moved on before a file finished downloading


@pytest.fixture(scope="session")
def site(book_html):
    """Base URL (ending in /) of the book served on a free localhost port."""
    handler = functools.partial(QuietHandler, directory=str(book_html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "headless": True,
            "args": CHROMIUM_ARGS}


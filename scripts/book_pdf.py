"""The whole book as one PDF, through Jupyter Book 1's LaTeX builder and Debian's TeX Live.

    python scripts/book_pdf.py [--path-output DIR] [--into FOLDER]

builds `DIR/_build/latex/mlmcourse.pdf` (DIR is the repository by default, so the PDF lands in
`_build/latex/`) and copies it into FOLDER when given (`make book` passes
`_build/html/_downloads`, where the introduction links to it, beside the offline archive).

The LaTeX comes from `jupyter-book build --builder pdflatex`; with sphinx-jupyterbook-latex
(`latex: use_jupyterbook_latex: true` in `_config.yml`) that runs XeLaTeX through latexmk, with
the FreeSerif fonts and xindy for the index. `scripts/ensure_tex.sh` installs those from Debian
when run as root. Building after an HTML build into the same DIR reuses its parsed pages
(`_build/.doctrees`), so only LaTeX itself takes time.
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "mlmcourse.pdf"  # from `latex: latex_documents: targetname` in _config.yml
PROGRAMS = ("xelatex", "latexmk", "xindy", "pdftotext", "pdfimages")
FONT = "FreeSerif.otf"  # Sphinx's default main font under XeLaTeX (Debian's fonts-freefont-otf)


def missing_tex_reason():
    """Why the PDF cannot be built here, or None when it can."""
    missing = [program for program in PROGRAMS if shutil.which(program) is None]
    if missing:
        return f"no {', '.join(missing)} on PATH (scripts/ensure_tex.sh installs TeX Live when run as root)"
    found = subprocess.run(["kpsewhich", FONT], capture_output=True, text=True)
    if found.returncode != 0 or not found.stdout.strip():
        return f"XeLaTeX cannot find the font {FONT} (scripts/ensure_tex.sh installs fonts-freefont-otf)"
    return None


def latex_errors(log_text):
    """The error lines of a LaTeX log (they start with '!'), each with the line after it."""
    lines = log_text.splitlines()
    return [" ".join(lines[i:i + 2]) for i, line in enumerate(lines) if line.startswith("!")]


def build(path_output=ROOT, timeout=900):
    """Build the PDF under `path_output`; return (completed process, latex folder)."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--builder", "pdflatex",
         "--path-output", str(path_output), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, timeout=timeout)
    return result, Path(path_output) / "_build" / "latex"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path-output", default=str(ROOT))
    parser.add_argument("--into", help="folder to copy the PDF into")
    parser.add_argument("--if-tex", action="store_true",
                        help="without TeX, say so in one line and exit 0 instead of 1")
    args = parser.parse_args(argv)
    reason = missing_tex_reason()
    if reason:
        print(f"book_pdf: the PDF is not built: {reason}.", file=sys.stderr)
        return 0 if args.if_tex else 1
    result, latex = build(args.path_output)
    pdf = latex / PDF_NAME
    if result.returncode != 0 or not pdf.is_file():
        log = latex / "mlmcourse.log"
        errors = latex_errors(log.read_text(errors="replace")) if log.is_file() else []
        print(result.stdout[-3000:] + result.stderr[-3000:], file=sys.stderr)
        print("book_pdf: the PDF build failed" + (": " + "; ".join(errors[:5]) if errors else "."),
              file=sys.stderr)
        return 1
    if args.into:
        target = Path(args.into)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pdf, target / PDF_NAME)
        print(f"book_pdf: {pdf} (copied into {target})")
    else:
        print(f"book_pdf: {pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

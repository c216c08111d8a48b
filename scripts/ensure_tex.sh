#!/usr/bin/env bash
# Make sure Debian's TeX Live is there for the book's PDF (scripts/book_pdf.py, `make pdf`).
# Installs it with apt when run as root; otherwise prints one line saying why not and exits 1.
# The set is the smallest found to build the book: XeLaTeX and latexmk (Jupyter Book's LaTeX
# builder runs XeLaTeX), the LaTeX packages Sphinx and jupyterBook.cls load, the FreeSerif fonts,
# xindy for the index, poppler-utils (pdftotext, pdfimages) for the tests, and texlive-plain-generic
# for ulem.sty, which otter-grader's PDF of an assignment's written answers needs. About 600 MB and
# a few minutes the first time; nothing is fetched at build time.
set -uo pipefail
PACKAGES="texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended
          texlive-plain-generic fonts-freefont-otf latexmk xindy poppler-utils"

have_tex() {
    for program in xelatex latexmk xindy pdftotext pdfimages kpsewhich; do
        command -v "$program" >/dev/null 2>&1 || return 1
    done
    kpsewhich FreeSerif.otf >/dev/null 2>&1 && kpsewhich ulem.sty >/dev/null 2>&1
}

if have_tex; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_tex: no TeX Live (xelatex, latexmk, xindy, FreeSerif) and cannot install it (needs root and apt-get); the PDF is not built and its tests are skipped (they fail under CI=true)." >&2
    exit 1
fi
echo "ensure_tex: installing TeX Live from Debian (once; a few minutes)" >&2
# shellcheck disable=SC2086
if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null 2>&1 ||
       { apt-get update -q >/dev/null 2>&1 &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PACKAGES >/dev/null 2>&1; }; }; then
    echo "ensure_tex: 'apt-get install' of TeX Live failed; the PDF is not built and its tests are skipped (they fail under CI=true)." >&2
    exit 1
fi
if ! have_tex; then
    echo "ensure_tex: apt installed TeX Live but xelatex, latexmk, xindy or FreeSerif is still missing; the PDF tests are skipped (they fail under CI=true)." >&2
    exit 1
fi
echo "ensure_tex: installed $(xelatex --version 2>/dev/null | head -n 1)" >&2

# The two commands of the README: `make book` and `make test`. Everything runs in .venv,
# installed from the pinned versions in constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: book pdf test serve execute reference bench data assignments autograders grade linkcheck clean

# --no-compile: byte-compiling every installed module made the install much slower (118 s with
# the flag against about 200 s without, from pip's cache, under load); Python compiles what is
# imported, on first use.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt --no-build-isolation --no-deps -e .
	touch $@

book: $(STAMP)
	@scripts/ensure_tex.sh || true
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	$(BIN)/python scripts/book_pdf.py --if-tex --into _build/html/_downloads
	@echo "The book is in _build/html: open _build/html/index.html, or run 'make serve'."

# The whole book as one PDF, _build/latex/mlmcourse.pdf (TeX Live: scripts/ensure_tex.sh).
pdf: $(STAMP)
	@scripts/ensure_tex.sh
	$(BIN)/python scripts/book_pdf.py

test: $(STAMP)
	@scripts/ensure_chromium.sh || true
	@scripts/ensure_tex.sh || true
	# A font cache of our own: a shared ~/.cache/matplotlib written by another environment
	# can miss matplotlib's own fonts, and the warnings then land in notebook outputs.
	MPLCONFIGDIR=$(CURDIR)/_build/mplconfig $(BIN)/python -m pytest -n $(JOBS)

serve: book
	@echo "Serving the book on http://localhost:8000 (Ctrl-C stops it)"
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

reference: $(STAMP)
	$(BIN)/python reference/simulated.py
	Rscript reference/lme4_reference.R
	Rscript reference/glmer_reference.R
	Rscript reference/inference_reference.R
	Rscript reference/translation.R
	Rscript bench/lme4_scaling.R
	Rscript bench/glmer_times.R

bench: $(STAMP)
	$(BIN)/python bench/bench_fit.py
	$(BIN)/python bench/bench_glmm.py
	$(BIN)/python bench/bench_scaling.py
	$(BIN)/python bench/bench_inference.py

data: $(STAMP)
	$(BIN)/python scripts/make_datasets.py

assignments: $(STAMP)
	$(BIN)/python scripts/build_assignments.py

# The autograder zips for otter grade (Docker) or Gradescope, with this checkout's wheel inside.
autograders: $(STAMP)
	$(BIN)/python scripts/build_assignments.py --release

# Grade a folder of submissions without Docker, into results/<assignment>.csv:
#   make grade ASSIGNMENT=a1-clustered-exams SUBMISSIONS=submissions
SUBMISSIONS ?= submissions
RESULTS     ?= results
grade: $(STAMP)
	@test -n "$(ASSIGNMENT)" || { echo "Say which assignment: make grade ASSIGNMENT=a1-clustered-exams SUBMISSIONS=submissions"; exit 2; }
	$(BIN)/python scripts/grade_submissions.py $(ASSIGNMENT) $(SUBMISSIONS) --output-dir $(RESULTS)

linkcheck: $(STAMP)
	$(BIN)/jupyter-book build . --builder linkcheck

clean:
	rm -rf _build $(VENV)

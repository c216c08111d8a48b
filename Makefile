# The two commands of the README: `make book` and `make test`. Everything runs in .venv,
# installed from the pinned versions in constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: book test serve execute reference bench data assignments linkcheck clean

$(STAMP): requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-build-isolation --no-deps -e .
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html: open _build/html/index.html, or run 'make serve'."

test: $(STAMP)
	@scripts/ensure_chromium.sh || true
	$(BIN)/python -m pytest -n $(JOBS)

serve: book
	@echo "Serving the book on http://localhost:8000 (Ctrl-C stops it)"
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

execute: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

reference:
	Rscript reference/lme4_reference.R
	Rscript reference/glmer_reference.R

bench: $(STAMP)
	$(BIN)/python bench/bench_fit.py

data: $(STAMP)
	$(BIN)/python scripts/make_datasets.py

assignments: $(STAMP)
	$(BIN)/python scripts/build_assignments.py

linkcheck: $(STAMP)
	$(BIN)/jupyter-book build . --builder linkcheck

clean:
	rm -rf _build $(VENV)

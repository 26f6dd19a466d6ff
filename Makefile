# Two commands do everything on a fresh machine (Python 3.11, make, git):
#   make book                      build the default cohort's site into _build/html/
#   make test                      the whole test suite (builds what it needs)
# Other targets are conveniences; see README.md.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
COHORT ?= nct02084238
STAMP  := $(VENV)/.installed-stamp

# Extra options for `python -m helpers build`, e.g. BUILD_OPTS="--force".
BUILD_OPTS ?=
# Extra options for pytest, e.g. PYTEST_OPTS="-k sri -x".
PYTEST_OPTS ?=

# Port of the preview server (`make serve`), on 127.0.0.1 only.
PORT ?= 8000

.PHONY: book serve pdf test lint data check-data browser clean constraints help

help:
	@echo "make book [COHORT=<name>]   build a cohort's site (default $(COHORT))"
	@echo "make serve [COHORT=<name>]  build, serve on http://127.0.0.1:$(PORT)/ and rebuild on every change"
	@echo "make pdf [COHORT=<name>]    build a cohort's site and print it as book.pdf (installs Chromium if missing)"
	@echo "make test                   run the whole test suite"
	@echo "make data                   regenerate the simulated cohorts"
	@echo "make lint                   ruff and the import layers (lint-imports)"
	@echo "make clean                  remove build products (keeps .venv)"

# The environment: a venv with the pinned requirements and this package, editable.
# Rebuilt when a requirements file or pyproject.toml changes.
$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . || \
	  $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

book: $(STAMP)
	$(BIN)/python -m helpers build $(COHORT) $(BUILD_OPTS)

# The live preview: Ctrl-C stops it and its kernels.
serve: $(STAMP)
	$(BIN)/python -m helpers serve $(COHORT) --port $(PORT)

# The book as a PDF, <site>/book.pdf: the site, then its single-page HTML printed by
# Debian's Chromium (the browser target installs it, as for `make test`).
pdf: $(STAMP) browser
	$(BIN)/python -m helpers build $(COHORT) --pdf $(BUILD_OPTS)

# Browser tests drive Debian's Chromium; install it when it is missing.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; \
	fi

test: $(STAMP) browser
	$(BIN)/python -m ruff check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_OPTS)

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports

data: $(STAMP)
	$(BIN)/python -m helpers data generate --all

check-data: $(STAMP)
	$(BIN)/python -m helpers data generate --all --check

constraints: $(STAMP)
	@echo "# Full pin of every package requirements.txt pulls in (pip freeze of a fresh .venv)." > constraints.txt
	@echo "# Regenerate with \`make constraints\` after changing requirements.txt." >> constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^helpers' >> constraints.txt

clean:
	rm -rf _build test-results benchmarks/_work

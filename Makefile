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

.PHONY: help run test install lint worker bench-bulk screenshots

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
	DEBUG=true $(PY) manage.py load_demo_data
	@echo "Serving on http://$(HOST):$(PORT) with the background worker (Ctrl-C stops both)"
	@trap 'kill 0' EXIT INT TERM; \
	{ DEBUG=true $(PY) manage.py bulk_jobs_recover; DEBUG=true $(PY) manage.py db_worker --no-reload --queue-name default; } & \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	DEBUG=true $(PY) manage.py bulk_jobs_recover
	DEBUG=true $(PY) manage.py db_worker --no-reload --queue-name default

# Browser tests drive Debian's Chromium when it is installed; elsewhere Playwright's own build.
test: install
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$CHROMIUM_PATH" ]; then $(VENV)/bin/playwright install chromium; fi
	DEBUG=true DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest $(PYTEST_ARGS)

# The README's screenshots of the lead form (tests/browser/screenshots.py), into static/screenshots/.
screenshots: install
	DEBUG=true DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest -q tests/browser/screenshots.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench-bulk: install
	$(PY) bench/bulk_qualify.py

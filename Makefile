# The two commands: `make run` and `make test`. Both need only Python 3.11+ on the PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

# `make run` is for trying the product on this machine: DEBUG on, SQLite in var/, tasks in-process.
run: export DEBUG ?= 1

.PHONY: run test lint format worker bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("alliance-ta needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs are pinned by requirements.lock; the stamp files re-run them when either file changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput --verbosity 0
	$(BIN)/python manage.py demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A Celery worker for the full stack; needs REDIS_URL (and normally DATABASE_URL).
worker: install
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 2; }
	$(BIN)/celery -A alliance_ta worker --loglevel=INFO --concurrency=2

# Fixed workloads, figures as JSON in var/bench and a table in docs/performance.md.
bench: install-dev
	bin/bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles

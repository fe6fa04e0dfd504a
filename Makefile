# 嘉兴招商 CRM — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test bench loadtest lint format install install-dev clean-venv

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "需要 Python 3.11 或更高版本"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(VENV)/.installed-loadtest: requirements.txt requirements-loadtest.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-loadtest.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: migrate, seed the plan, create the first admin (printing its one-time password), serve + scheduler
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) init-admin
	@# The one scheduler process (stall reminders) beside the web server; stopped with it.
	@$(FLASK) scheduler & scheduler=$$!; \
	  trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite; TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL), in
## TEST_WORKERS processes (pytest-xdist; a database each), a test file per worker at a time (its module
## fixtures made once); PYTEST_ARGS="..." adds pytest options.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## bench: the performance benchmark (issue 8) on temporary databases; writes bench/results.json and .md.
## Not part of `make test` or .ci/run. Also BENCH_REQUESTS (30), BENCH_DATABASES ("sqlite postgresql").
BENCH_SCALE ?= 10
bench: $(VENV)/.installed
	BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python -m bench.run

## loadtest: gunicorn + the scheduler on a temporary PostgreSQL database under locust (issue 8); checks that no
## saved write was lost; writes loadtest/results.json and .md. Not part of `make test` or .ci/run.
## LOADTEST_OFFICERS: 0 = a demo officer of its own per officer user; N = N shared accounts (edit conflicts).
LOADTEST_USERS ?= 20
LOADTEST_SECONDS ?= 60
LOADTEST_SCALE ?= 1
LOADTEST_WORKERS ?= 4
LOADTEST_OFFICERS ?= 0
loadtest: $(VENV)/.installed-loadtest
	LOADTEST_USERS=$(LOADTEST_USERS) LOADTEST_SECONDS=$(LOADTEST_SECONDS) LOADTEST_SCALE=$(LOADTEST_SCALE) \
	  LOADTEST_WORKERS=$(LOADTEST_WORKERS) LOADTEST_OFFICERS=$(LOADTEST_OFFICERS) $(BIN)/python -m loadtest.run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache  # the layers of README "Layout" (pyproject.toml [tool.importlinter])
	$(BIN)/mypy  # types of crm/ (pyproject.toml [tool.mypy])
	$(BIN)/vulture  # dead code in crm/ (pyproject.toml [tool.vulture], vulture_whitelist.py)

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean-venv:
	rm -rf $(VENV)

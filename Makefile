# The two front-door commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite lint bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/deskbot run

# Runs every test on SQLite and, where a PostgreSQL server can be started, on PostgreSQL too.
# Six workers: most tests wait on sockets, timers and Telegram's limits (with 4 the 2 cores
# were half idle); work-stealing keeps the long end-to-end tests from gathering on one worker.
# The desk page's browser tests need Debian's chromium: installed here when missing (as root).
TEST_WORKERS ?= 6
test: $(STAMP)
	@bash .ci/chromium.sh
	@. ./.ci/postgres.sh && $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	@. ./.ci/postgres.sh && $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .cache

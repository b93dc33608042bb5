# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint unit bench chaos install clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $@

install: $(BIN)/.installed

## demo: local Synapse + bot + terminal chat (Ctrl-C stops everything)
demo: $(BIN)/.installed
	$(BIN)/redi-bot demo

## test: lint, type check, unit and end-to-end tests (real Synapse; PostgreSQL too if REDI_TEST_DATABASE_URL is set)
test: $(BIN)/.installed lint browser
	$(BIN)/pytest

## browser: Debian's chromium for the browser tests of the web pages (Playwright cannot download its own here)
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium missing (apt-get install chromium as root): the browser tests will be skipped"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## unit: only the fast tests that need no homeserver
unit: $(BIN)/.installed
	$(BIN)/pytest -m "not e2e"

## bench: round trip, search, reminders, decisions, web pages and feed, punctuality, footprint (PostgreSQL: REDI_TEST_DATABASE_URL)
bench: $(BIN)/.installed
	$(BIN)/python bench/roundtrip.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/decisions.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/punctuality.py
	$(BIN)/python bench/footprint.py

## chaos: kill, outage, 429 storm, fuzz and load against a throwaway Synapse, SQLite and PostgreSQL (~25 min; exit 1 on loss)
chaos: $(BIN)/.installed
	$(BIN)/python bench/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

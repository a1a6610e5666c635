# Lotse — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test test-sqlite migrate-check clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Set up everything and serve Lotse on SQLite with demo data (web + API + embedded scheduler).
run: install
	$(BIN)/lotse db upgrade
	$(BIN)/lotse demo
	LOTSE_EMBEDDED_SCHEDULER=1 $(BIN)/lotse run --host $(HOST) --port $(PORT)

## Run the whole suite: SQLite always, PostgreSQL when LOTSE_TEST_DATABASE_URL is set.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache

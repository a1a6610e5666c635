# Lotse — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install catalogs run lint test migrate-check clean bench bench-quick

## Python packages, the web UI's npm packages (htmx, bpmn-js, axe-core; exact versions from package-lock.json)
## and the compiled translations.
install: $(VENV)/.installed node_modules/.installed catalogs

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

catalogs: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/web/translations

## Set up everything and serve Lotse on SQLite with demo data (web + API + embedded scheduler).
run: install
	$(BIN)/lotse db upgrade
	$(BIN)/lotse demo
	LOTSE_EMBEDDED_SCHEDULER=1 $(BIN)/lotse run --host $(HOST) --port $(PORT)

## Lint gate: ruff (style, bugs, complexity) and mypy (types) on app/; both must report nothing.
lint: install
	$(BIN)/ruff check app
	$(BIN)/mypy

## Run the whole suite: SQLite always, PostgreSQL when LOTSE_TEST_DATABASE_URL is set. Tests marked `bench` only
## when selected: make test PYTEST_ARGS='-m "bench or not bench"' (CI does).
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

## Models and migrations agree: migrate a scratch SQLite database, then Alembic compares it with the models.
migrate-check: install
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	export LOTSE_DATABASE_URL="sqlite:///$$scratch/check.sqlite3"; \
	$(BIN)/lotse db upgrade && $(BIN)/lotse db check

## Benchmarks (issue #5), full sizes (minutes): writes docs/benchmarks.md and docs/benchmarks.json.
## PostgreSQL from LOTSE_BENCH_DATABASE_URL (default: the local test database, schema lotse_bench).
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## The same scripts at tiny sizes (seconds, no timing goals); output to a temp folder unless BENCH_ARGS=--output=DIR.
bench-quick: install
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules test-artifacts

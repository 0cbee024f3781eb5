# gsm-platform: the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GSM_HOME ?= $(CURDIR)/.gsm
EDITION ?= 2025
# the demo's earlier edition (gsm generate --outlook-demo): what `gsm outlook --compare` compares with;
# built first, from its own input folder, so that each run cleans the months landed so far only once
EARLIER ?= 2024
DEMO := $(GSM_HOME)/sources/demo
SCALE ?= award

.PHONY: install demo test test-fast test-ui lint format ui bench validate clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gsm generate --scale quick --outlook-demo --out $(DEMO)
	$(BIN)/gsm materialize --edition $(EARLIER) --source files --input $(DEMO)/earlier/input \
		--registry $(DEMO)/registry.yaml --editions $(DEMO)/editions.yaml
	$(BIN)/gsm materialize --edition $(EDITION) --source demo --registry $(DEMO)/registry.yaml --editions $(DEMO)/editions.yaml
	$(BIN)/gsm rankings --edition $(EDITION) --nominees
	$(BIN)/gsm report --edition $(EDITION)
	$(BIN)/gsm outlook --edition $(EDITION) --compare $(EARLIER)
	@echo
	@echo "The GSM Outlook: $(GSM_HOME)/reports/$(EDITION)/outlook.html, beside the demo's earlier edition $(EARLIER)"
	@echo "  (gsm outlook --edition $(EDITION) --compare $(EARLIER) [--format json])"
	@echo "The jury's report, with each nominee's best posts: $(GSM_HOME)/reports/$(EDITION)/index.html"
	@echo "Open the Dagster UI on this state: make ui   (then http://127.0.0.1:3000)"

# two workers on the 2-core machine: most tests wait on a `gsm` or dbt subprocess that uses one
# core; worksteal keeps the long end-to-end tests from queueing behind one worker
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=15

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e and not browser"

# the gates CI runs before the tests: ruff (lint and format), mypy, sqlfluff on the dbt models.
# sqlfluff's dbt templater compiles every model: against a scratch warehouse, for a named edition
# (the models refuse to compile without one), never the user's GSM_HOME.
LINT_SCRATCH := $(CURDIR)/.lint
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	mkdir -p $(LINT_SCRATCH)
	cd dbt_project && GSM_WAREHOUSE=$(LINT_SCRATCH)/warehouse.duckdb GSM_EDITION_ID=lint \
		../$(BIN)/sqlfluff lint models --disable-progress-bar --nocolor

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# the Playwright tests of the Dagster UI alone, in Debian's Chromium (/usr/bin/chromium; `make test` runs them too)
test-ui: $(STAMP)
	$(BIN)/python -m pytest -m browser

ui: $(STAMP)
	DAGSTER_HOME=$(GSM_HOME)/dagster $(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

validate: $(STAMP)
	DAGSTER_HOME=$(GSM_HOME)/dagster $(BIN)/dagster definitions validate -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python -m gsm_platform.bench --scale $(SCALE)

clean:
	rm -rf $(GSM_HOME) $(LINT_SCRATCH) dbt_project/target dbt_project/logs

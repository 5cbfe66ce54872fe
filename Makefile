PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
EXAMPLES := config/examples/japan-australia.jsonl

.PHONY: run test lint format bench clean

# Running needs the service alone; tests, lint and benchmarks need the dev tools as well
# (installing those made a first `make run` wait close to a minute).
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(RUN_STAMP)

## Start the service on the embedded SQLite store with the example data.
run: $(RUN_STAMP)
	$(BIN)/tracker import --if-empty $(EXAMPLES)
	$(BIN)/tracker serve

## Unit, integration and end-to-end tests (PostgreSQL ones skip unless reachable, or CI=true).
## Two workers: much of the suite waits on processes, stores and sockets rather than a core.
## The tests that measure latency under attack run after the rest, one at a time, on a quiet machine.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q -ra -n $(TEST_WORKERS) --dist worksteal -m "not latency"
	$(BIN)/python -m pytest -q -ra -p no:xdist -m latency

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

# heatwatch: every command lives here; `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install install-browser run run-heat-api run-watch-api run-worker run-beat test test-unit test-integration test-e2e bench bench-alarms bench-stacks lint fmt clean

help: ## list the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv and install pinned dependencies

# The console's browser test drives Debian's Chromium (Playwright never downloads one).
install-browser: ## install Debian's chromium and chromium-driver (apt) unless present
	@if [ -x /usr/bin/chromium ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; else \
	  sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$sudo apt-get install -y -q chromium chromium-driver || \
	  { $$sudo apt-get update -q && $$sudo apt-get install -y -q chromium chromium-driver; }; \
	fi

run: $(STAMP) ## the whole system under honcho (APIs, workers, beat, flower, local Redis if needed)
	$(BIN)/heatwatch-admin dev bootstrap
	$(BIN)/honcho start

run-heat-api: $(STAMP) ## only the orchestration API (port 8004)
	$(BIN)/honcho start heat-api

run-watch-api: $(STAMP) ## only the watch API (port 8003)
	$(BIN)/honcho start watch-api

run-worker: $(STAMP) ## only the three worker pools
	$(BIN)/honcho start engine metrics watch

run-beat: $(STAMP) ## only celery beat
	$(BIN)/honcho start beat

test: $(STAMP) install-browser ## everything: unit, integration, e2e (what CI runs)
	$(PY) -m pytest

test-unit: $(STAMP) ## fast tests, no network
	$(PY) -m pytest -m unit

test-integration: $(STAMP) ## real Redis and databases
	$(PY) -m pytest -m integration

test-e2e: $(STAMP) install-browser ## real processes on free ports (and headless Chromium)
	$(PY) -m pytest -m e2e

bench: $(STAMP) ## benchmarks side by side with moto_server (prints figures; not part of make test)
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) -m bench.run $(BENCH_ARGS)

bench-alarms: $(STAMP) ## the watch engine's benchmark: alarm API vs moto, evaluation rate, latency
	$(PY) -m pip install --quiet -r requirements-bench.txt
	$(PY) -m bench.alarms $(BENCH_ARGS)

bench-stacks: $(STAMP) ## the engine's benchmark: 100 stacks of 10 resources at once
	$(PY) -m bench.stacks $(BENCH_ARGS)

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP) ## format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean: ## remove local data (databases, Redis files); keeps .env
	rm -rf var

# ml-platform developer commands. Each bootstraps uv (from PyPI if absent) and syncs the
# locked environments it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell scripts/ensure_uv.sh)
export UV
RUN := $(UV) run --frozen
APPS := src/training src/inference
export MLP_STATE_DIR ?= $(CURDIR)/.mlplatform
# Compile .pyc at install time: this machine sets PYTHONDONTWRITEBYTECODE, and without
# bytecode every process would recompile mlflow/sklearn on import (~4 s -> ~16 s).
export UV_COMPILE_BYTECODE := 1

.PHONY: help sync demo mlflow-ui test test-unit test-integration lint format render bench bench-smoke clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

sync: ## install the locked root dev environment and check the app locks
	$(UV) sync --frozen
	@for app in $(APPS); do $(UV) lock --check --project $$app || exit 1; done

demo: sync ## local demo on embedded defaults (no AWS, no Docker); options: make demo ARGS=--help
	$(RUN) python scripts/demo.py $(ARGS)

mlflow-ui: sync ## the MLflow UI of the local store (demo runs) on 127.0.0.1, a free port
	$(RUN) python scripts/mlflow_ui.py

# The tests' processes write .pyc as they import (PYTHONDONTWRITEBYTECODE emptied), so the app
# environments the tests sync skip the compile of every installed file: ~27 CPU-s on a fresh
# clone for modules no test imports. The root environment is compiled by `sync` as above.
PYTEST := UV_COMPILE_BYTECODE=0 PYTHONDONTWRITEBYTECODE= $(RUN) pytest

test: sync lint ## lint, then every test (unit, integration, slow)
	$(PYTEST)

test-unit: sync ## fast tests only
	$(PYTEST) -m unit

test-integration: sync ## tests with real servers (moto, emulators, subprocesses)
	$(PYTEST) -m integration

lint: sync ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: sync ## apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

render: sync ## rewrite the generated files: pipelines/*.json and the Terraform README tables
	$(RUN) python scripts/render_pipelines.py
	$(RUN) python scripts/render_module_docs.py

bench: sync ## every benchmark with its baseline, one table (full size: tens of minutes; 10M entities is the longest part)
	$(RUN) python scripts/bench.py

bench-smoke: sync ## the same benchmark on tiny data (what CI runs)
	$(RUN) python scripts/bench.py --pit-entities 5000 --pit-feature-rows 30000 --entities 3000 --large-entities 6000 --runs 1 --output bench-results/smoke.json

clean: ## remove local state (feature store, tools, caches)
	rm -rf .mlplatform .pytest_cache .ruff_cache

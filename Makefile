# Every target bootstraps .venv itself; it is reinstalled whenever pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv run test test-fast lint format typecheck bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,video]'
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the package with its dev and video extras

run: $(STAMP)  ## train DDPG on Pendulum-v1 with the defaults
	$(BIN)/python -m ddpg.run

test: $(STAMP)  ## the whole test suite, slow and learning tests included
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)  ## unit tests only (seconds)
	$(BIN)/python -m pytest -q -m "not slow and not learning"

lint: $(STAMP)  ## ruff lint + format check, mypy
	$(BIN)/ruff check ddpg hydra_plugins tests experiments
	$(BIN)/ruff format --check ddpg hydra_plugins tests experiments
	$(BIN)/mypy

format: $(STAMP)  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix ddpg hydra_plugins tests experiments
	$(BIN)/ruff format ddpg hydra_plugins tests experiments

bench: $(STAMP)  ## env steps/s: single runs on 1 and 2 threads, populations of K = 1 ... 32 (and K = 8, half stopping early) on 1
	$(BIN)/python -m ddpg.bench --threads 1
	$(BIN)/python -m ddpg.bench --threads 2 --populations ""

clean:  ## remove the venv and caches (outputs/ is kept)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

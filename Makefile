# The two commands of the README's quick start. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# An editable install follows the code by itself: it is redone only when pyproject.toml
# (dependencies, entry points) changes. The stamps record the last install.
INSTALLED := $(VENV)/.installed
INSTALLED_TEST := $(VENV)/.installed-test

.PHONY: demo test lint install bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(INSTALLED_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/o2d-inbox --demo

# The checks first (seconds), then the suite: ruff (lint and format), the layer contracts,
# and mypy over the whole package (pyproject.toml [tool.mypy]).
lint: $(INSTALLED_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_sync.py
	$(BIN)/python benchmarks/bench_tui.py

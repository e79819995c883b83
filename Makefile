# The two commands of the README's quick start. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

demo: install
	$(BIN)/o2d-inbox --demo

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_sync.py
	$(BIN)/python benchmarks/bench_tui.py

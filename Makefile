# Two commands set everything up: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit fixtures bench clean screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

fixtures: $(STAMP)
	$(BIN)/python -m fixtures.generate

demo: $(STAMP) fixtures
	$(BIN)/python -m fixtures.demo

# README image: the demo's HTML report (out/report.html) in headless Chromium.
screenshot: $(STAMP) fixtures
	$(BIN)/python -m fixtures.screenshot

lint: $(STAMP)
	$(BIN)/ruff check tableau_audit tests fixtures benchmarks
	$(BIN)/ruff format --check tableau_audit tests fixtures benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache

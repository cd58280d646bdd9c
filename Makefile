# The two set-up commands: `make run` (example app, UI on http://127.0.0.1:8000/) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := pyproject.toml $(wildcard plugins/*/pyproject.toml)

.PHONY: install run test lint bench clean

$(STAMP): $(PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e plugins/daggo_sqlite -e . --group dev
	touch $(STAMP)

install: $(STAMP)

run: install
	cd examples/content_ingestion && ../../$(BIN)/daggo run

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache examples/content_ingestion/.daggo

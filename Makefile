# Everything runs inside .venv, created on first use from the system python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help setup serve test check lint typecheck clean

help:
	@echo "make serve  - set up and start the fake stack (fake LiteLLM on 127.0.0.1:4000 in front of"
	@echo "              the fake vLLM on 127.0.0.1:8000)"
	@echo "make test   - set up, lint, type-check and run the test suite"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "llm-fakes needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/llm-fakes serve stack --host 127.0.0.1 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check fakes contracts tests
	$(BIN)/ruff format --check fakes contracts tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

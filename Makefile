# Everything runs inside .venv, created on first use from the system python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help setup serve test test-clients check lint typecheck clean matrix

help:
	@echo "make serve  - set up and start the fake stack (fake vLLM on 127.0.0.1:8000)"
	@echo "make test   - set up, lint, type-check and run the test suite"
	@echo "make matrix - drivers x backends x scenarios: matrix/matrix.{json,md,html}"
	@echo "make test-clients - install the client extras (litellm, langchain, pydantic-ai) and run their adapter tests"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "llm-fakes needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/llm-fakes serve vllm --host 127.0.0.1 --port 8000 $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check fakes contracts tests
	$(BIN)/ruff format --check fakes contracts tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

matrix: $(STAMP)
	$(BIN)/llm-fakes matrix --out matrix $(ARGS)

test-clients: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,clients]'
	$(BIN)/python -m pytest tests/contracts/drivers $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Everything runs inside .venv, created on first use from the system python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help setup serve test check lint typecheck clean matrix bench

help:
	@echo "make serve  - set up and start the fake stack (fake vLLM on 127.0.0.1:8000)"
	@echo "make test   - set up, lint, type-check and run the test suite"
	@echo "make matrix - drivers x backends x scenarios: matrix/matrix.{json,md,html}"
	@echo "make bench  - benchmarks against bare floors: a table and bench/results.json"

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
	$(BIN)/ruff check fakes contracts tests bench
	$(BIN)/ruff format --check fakes contracts tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

matrix: $(STAMP)
	$(BIN)/llm-fakes matrix --out matrix $(ARGS)

# Not part of `make test`: about 5 minutes, machine-specific figures.
bench: $(STAMP)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && apt-get install -y -qq wrk >/dev/null) \
		|| { echo "make bench needs wrk (Debian/Ubuntu: apt-get install wrk)"; exit 1; }
	$(BIN)/python -c 'import vcr, pyinstrument' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Everything runs inside .venv, created on first use from the system python3 (3.11+).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: help setup serve test soak test-browser test-clients check lint typecheck clean matrix conformance record-reference probe-reference bench image conformance-vllm record-vllm

help:
	@echo "make serve  - set up and start the fake stack (fake LiteLLM on 127.0.0.1:4000 in front of"
	@echo "              the fake vLLM on 127.0.0.1:8000)"
	@echo "make test   - set up, lint, type-check and run the test suite"
	@echo "make soak   - minutes of mixed traffic, rude clients and fuzzing on loopback"
	@echo "              (SOAK_SECONDS=150, SOAK_FUZZ_EXAMPLES=8000); prints the figures"
	@echo "make matrix - drivers x backends x scenarios: matrix/matrix.{json,md,html}"
	@echo "make test-browser - the console in a headless Chromium (Debian's chromium package;"
	@echo "              installed with apt-get when missing and possible); prints the screenshot folder"
	@echo "make test-clients - install the client extras (litellm, langchain, pydantic-ai) and Debian's php-cli,"
	@echo "              and run their adapter and example-driver tests"
	@echo "make conformance [LITELLM_VERSION=1.74.15.post2] - install the real LiteLLM proxy"
	@echo "              (in .venv-reference-VERSION) and diff the fake against it"
	@echo "make conformance-vllm [VLLM_VERSION=0.12.0] - serve that vLLM release's own app (in"
	@echo "              .venv-vllm-VERSION, scripted engine, CPU) and diff the fake against it"
	@echo "make record-vllm [VLLM_VERSION=...] - the same, and re-record recordings/vllm/vllm-VERSION.jsonl"
	@echo "make bench  - benchmarks against bare floors: a table and bench/results.json"
	@echo "make probe-reference [LITELLM_VERSION=...] - llm-fakes probe against that real proxy"
	@echo "              in front of the fake vLLM 0.9.2"
	@echo "make image  - the OCI image (Containerfile) on a debootstrap-made Debian base, with podman;"
	@echo "              checks its entrypoint (podman run, or chroot where the runtime is refused)"

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
	$(BIN)/ruff check fakes contracts tests bench reference
	$(BIN)/ruff format --check fakes contracts tests bench reference

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The long part of the reliability suite (tests marked soak, deselected by `make test`).
soak: $(STAMP)
	$(BIN)/python -m pytest -m soak tests/reliability $(PYTEST_ARGS)

matrix: $(STAMP)
	$(BIN)/llm-fakes matrix --out matrix $(ARGS)

# The system Chromium only: Playwright drives it and never downloads a browser.
test-browser: $(STAMP)
	command -v chromium >/dev/null || apt-get install -y chromium || \
		echo "chromium is not installable here: the browser tests will skip"
	$(BIN)/python -m pytest tests/browser -m browser -s -rs $(PYTEST_ARGS)

test-clients: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,clients]'
	command -v php >/dev/null || apt-get install -y -qq php-cli >/dev/null
	LLM_FAKES_REQUIRE_CLIENTS=1 LLM_FAKES_REQUIRE_PHP=1 $(BIN)/python -m pytest tests/contracts/drivers $(PYTEST_ARGS)

# The real proxy, for conformance only (a large install, never part of `make test`).
# 1.110.2's [proxy] extra pins a package the registry lacks: install the extra's other
# requirements from reference/ instead.
LITELLM_VERSION ?= 1.110.2
REFERENCE := .venv-reference-$(LITELLM_VERSION)

$(REFERENCE)/.installed:
	test -x $(REFERENCE)/bin/python || $(PYTHON) -m venv $(REFERENCE)
	$(REFERENCE)/bin/python -m pip install --quiet --upgrade pip
	if [ -f reference/litellm-$(LITELLM_VERSION)-proxy-deps.txt ]; then \
		$(REFERENCE)/bin/python -m pip install --quiet 'litellm==$(LITELLM_VERSION)' \
			-r reference/litellm-$(LITELLM_VERSION)-proxy-deps.txt; \
	else \
		$(REFERENCE)/bin/python -m pip install --quiet 'litellm[proxy]==$(LITELLM_VERSION)'; \
	fi
	touch $@

# The real proxy's answers to the scenario catalogue, per upstream (recordings/litellm/), and
# the first upstream's session as a replayable cassette (recordings/*.jsonl).
record-reference: $(STAMP) $(REFERENCE)/.installed
	$(BIN)/python -m reference.litellm_conformance --litellm $(REFERENCE)/bin/litellm \
		--version $(LITELLM_VERSION) --record \
		--cassette recordings/litellm-$(LITELLM_VERSION).jsonl

# The scenario catalogue sent to the real proxy and to the fake; differences by JSON path.
conformance: $(STAMP) $(REFERENCE)/.installed
	$(BIN)/python -m reference.litellm_conformance --litellm $(REFERENCE)/bin/litellm \
		--version $(LITELLM_VERSION) $(ARGS)

# Not part of `make test`: about 5 minutes, machine-specific figures.
bench: $(STAMP)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && apt-get install -y -qq wrk >/dev/null) \
		|| { echo "make bench needs wrk (Debian/Ubuntu: apt-get install wrk)"; exit 1; }
	$(BIN)/python -c 'import vcr, pyinstrument' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.run $(ARGS)

# llm-fakes probe against the real proxy in front of the fake vLLM (which lines it finds).
probe-reference: $(STAMP) $(REFERENCE)/.installed
	$(BIN)/python -m reference.litellm_conformance.probe --litellm $(REFERENCE)/bin/litellm

# Not part of `make test`: root, podman and debootstrap (Debian packages), a few minutes.
image: $(STAMP)
	PYTHON=$(BIN)/python bash reference/image/build.sh

# A vLLM release's own OpenAI app with a scripted engine (reference/vllm_harness): its wheel
# without dependencies, the CPU torch on this disk, and the pure-Python packages its serving
# code imports (the GPU-only ones are left out). Never part of `make test`.
VLLM_VERSION ?= 0.12.0
VLLM_ENV := .venv-vllm-$(VLLM_VERSION)
# GPU-only kernels, CUDA bindings and NVIDIA codecs, and torchcodec (its native library is built
# for one torch release and fails to load with the CPU torch here; vLLM then goes without audio
# decoding); vllm-flash-attn (0.4-0.5: CUDA kernels that pin the release's own torch).
# Matched case-insensitively, as pip does.
VLLM_SKIP_GPU := torchcodec|vllm-flash-attn|tilelang|nvtx|fastsafetensors|instanttensor|quack-kernels|tokenspeed[-a-z_]*|humming-kernels|pynvvideocodec|cupy[-a-z0-9_]*|deep[-_]gemm|deep[-_]ep
VLLM_SKIP := torch|torchaudio|torchvision|ray|flashinfer[-a-z_]*|numba|nvidia[-a-z0-9_]*|cuda[-a-z0-9_]*|xformers|triton|$(VLLM_SKIP_GPU)
# GPU-only packages that a kept dependency pulls in (xgrammar: triton on x86_64 Linux); the
# serving code never runs them, and vLLM imports triton only behind its own HAS_TRITON check
# (from 0.6; a release that imports it unconditionally lists it in reference/vllm-X-extra.txt,
# installed without dependencies after this removal)
VLLM_GPU_ONLY := triton
# A pin the registry no longer serves, replaced by the nearest release it does
# (reference/vllm-X-replace.txt: one requirement a line, for the same package names)
VLLM_REPLACE = reference/vllm-$(VLLM_VERSION)-replace.txt

$(VLLM_ENV)/.installed:
	test -x $(VLLM_ENV)/bin/python || $(PYTHON) -m venv $(VLLM_ENV)
	$(VLLM_ENV)/bin/python -m pip install --quiet --upgrade pip
	$(VLLM_ENV)/bin/python -m pip install --quiet torch==2.13.0
	$(VLLM_ENV)/bin/python -m pip install --quiet --no-deps 'vllm==$(VLLM_VERSION)'
	$(VLLM_ENV)/bin/python -c 'import importlib.metadata as m; \
		print("\n".join(r for r in m.requires("vllm") if "extra ==" not in r))' \
		| grep -viE '^($(VLLM_SKIP))([ =<>!~;[]|$$)' > $(VLLM_ENV)/requirements.txt
	test ! -f $(VLLM_REPLACE) || { \
		names=$$(grep -v '^#' $(VLLM_REPLACE) | sed 's/[ =<>!~;[].*//' | paste -sd'|'); \
		grep -viE "^($$names)([ =<>!~;[]|$$)" $(VLLM_ENV)/requirements.txt > $(VLLM_ENV)/kept.txt; \
		grep -v '^#' $(VLLM_REPLACE) | cat $(VLLM_ENV)/kept.txt - > $(VLLM_ENV)/requirements.txt; }
	$(VLLM_ENV)/bin/python -m pip install --quiet -r $(VLLM_ENV)/requirements.txt \
		$$(test -f reference/vllm-$(VLLM_VERSION)-constraints.txt && \
			echo -c reference/vllm-$(VLLM_VERSION)-constraints.txt)
	$(VLLM_ENV)/bin/python -m pip uninstall --quiet --yes $(VLLM_GPU_ONLY)
	test ! -f reference/vllm-$(VLLM_VERSION)-extra.txt || $(VLLM_ENV)/bin/python -m pip install \
		--quiet --no-deps -r reference/vllm-$(VLLM_VERSION)-extra.txt
	$(VLLM_ENV)/bin/python -m pip install --quiet respx syrupy orjson rich click httpx2 partial-json-parser
	$(VLLM_ENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

conformance-vllm: $(STAMP) $(VLLM_ENV)/.installed
	$(BIN)/python -m reference.vllm_harness.run --version $(VLLM_VERSION) \
		--python $(VLLM_ENV)/bin/python $(ARGS)

record-vllm: $(STAMP) $(VLLM_ENV)/.installed
	$(BIN)/python -m reference.vllm_harness.run --version $(VLLM_VERSION) \
		--python $(VLLM_ENV)/bin/python --record $(ARGS)

clean:
	rm -rf $(VENV) .venv-reference-* .venv-vllm-* .pytest_cache .mypy_cache .ruff_cache

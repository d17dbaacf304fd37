"""What ``llm-fakes serve`` imports before it serves (start-up to the first 200 is a benchmark
row): each command runs in a fresh interpreter up to the point where uvicorn would take
over, and the modules it loaded are compared with what it must leave for first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# uvicorn.Server.run replaced: the command does everything it does at start-up (options,
# profiles, the app, the banner, the socket), then reports sys.modules instead of serving.
_PROGRAM = textwrap.dedent(
    """
    import json
    import sys

    import uvicorn


    def report(self, sockets=None):
        # a None entry marks a module as absent (httpx's command line): not loaded
        print(json.dumps(sorted(name for name, m in sys.modules.items() if m is not None)))


    uvicorn.Server.run = report

    from fakes.cli import main

    main(sys.argv[1:], standalone_mode=False)
    """
)

# Loaded on first use, never at start-up: other commands and backends, the contract suite and
# test tools, the recorder and converter, the responses route's openai-python types, the
# prometheus client (first scrape), httpx's own command line (rich's progress bars, pygments).
LATER = (
    "contracts",
    "pytest",
    "hypothesis",
    "respx",
    "syrupy",
    "httpx2",
    "fakes.cli.profiles",
    "fakes.cli.fleet",
    "fakes.cli.ollama",
    "fakes.cli.llamacpp",
    "fakes.cli.sglang",
    "fakes.probe",
    "fakes.ollama",
    "fakes.sglang",
    "fakes.llamacpp",
    "fakes.record._recorder",
    "fakes.record._convert",
    "fakes.record._replay",
    "fakes.console._save",
    "prometheus_client",
    "httpx._main",
    "pygments",
    "rich",  # the banner reaches a pipe here: plain text (tests/fakes/cli/test_terminal.py)
)
# The vLLM fake's path needs no HTTP client at all, nor the responses route's types.
VLLM_LATER = (
    *LATER,
    "httpx",
    "fakes.litellm",
    "fakes.vllm._responses_input",
    "fakes.vllm._input_schema",  # a release's own input validator: on a bad input item only
    "fakes.profiles._litellm",  # the other backends' profile models
    "fakes.profiles._ollama",
    "fakes.profiles._llamacpp",
    "fakes.profiles._sglang",
    "yaml",  # the shipped profiles load from their precompiled form; a script file needs it
    "partial_json_parser",  # the hermes tool parser before 0.20, on its first tool stream
    # no pydantic schema is built at start-up (defer_build; defaults constructed): the first
    # validation loads pydantic's plugin loader, which reads every installed distribution
    "pydantic.plugin._loader",
    "importlib.metadata",
)
LITELLM_LATER = (*LATER, "fakes.vllm")


def _loaded_at_start(*argv: str) -> set[str]:
    # stderr is a pipe, and nothing asks for colours anyway
    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "TTY_COMPATIBLE"}}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def _early(loaded: set[str], later: tuple[str, ...]) -> list[str]:
    return sorted(
        name for name in loaded if any(name == x or name.startswith(x + ".") for x in later)
    )


def test_serve_vllm_leaves_the_rest_for_first_use() -> None:
    loaded = _loaded_at_start("serve", "vllm", "--port", "0")
    assert {"fakes.vllm.app", "fakes.vllm.fast", "uvicorn"} <= loaded  # it got that far
    assert _early(loaded, VLLM_LATER) == []


def test_serve_litellm_leaves_the_rest_for_first_use(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: fake-model\n"
        "    litellm_params:\n"
        "      model: hosted_vllm/fake-model\n"
        "      api_base: http://127.0.0.1:9/v1\n"
        "general_settings:\n"
        "  master_key: sk-startup-imports-Str0ng-Key-5517\n"
    )
    loaded = _loaded_at_start("serve", "litellm", "--config", str(config), "--port", "0")
    assert {"fakes.litellm.app", "httpx", "uvicorn"} <= loaded
    assert _early(loaded, LITELLM_LATER) == []


@pytest.mark.parametrize(
    ("module", "first_use"),
    [
        ("prometheus_client", "metrics.render()"),
        ("fakes.vllm._responses_input", "vllm_request"),
        ("fakes.record._recorder", "fakes.record.Recorder"),
        ("fakes.profiles._litellm", "fakes.profiles.LitellmProfile"),
        ("yaml", "load_script(file)"),
        ("pydantic.plugin._loader", "vllm_request"),
    ],
)
def test_first_use_loads_what_start_up_left(module: str, first_use: str) -> None:
    """The checks above can fail: each module they keep out is loaded once it is needed."""
    uses = {
        "metrics.render()": (
            "from fakes.http.metrics import VllmMetrics\n"
            "from fakes.model.timing import Scheduler\n"
            "VllmMetrics(Scheduler(1)).render()"
        ),
        "vllm_request": (
            "from starlette.testclient import TestClient\n"
            "from fakes.vllm import create_vllm_app\n"
            "from fakes.vllm.options import VllmOptions\n"
            "app = create_vllm_app(VllmOptions().config())\n"
            # an item the fast path leaves to the reference path, which validates it
            "item = {'role': 'tool', 'content': 'x'}\n"
            "TestClient(app).post('/v1/responses', json={'model': 'fake-model', 'input': [item]})"
        ),
        "fakes.record.Recorder": "import fakes.record\nfakes.record.Recorder",
        "fakes.profiles.LitellmProfile": "import fakes.profiles\nfakes.profiles.LitellmProfile",
        "load_script(file)": (
            "import tempfile\n"
            "from fakes.model.script import load_script\n"
            "with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as f:\n"
            "    f.write('rules: []')\n"
            "load_script(f.name)\n"
            "import os\nos.unlink(f.name)"
        ),
    }
    program = f"import sys\n{uses[first_use]}\nprint({module!r} in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "True"

"""The TypeScript example driver (official `openai` npm package) through --driver-cmd.

Needs node and npm (skips without them, fails without them when LLM_FAKES_REQUIRE_NODE=1;
with them, a failed install fails); the example's dependencies are installed once (`npm ci`, which also
compiles src/driver.mts to dist/driver.mjs) into examples/ts-driver/node_modules.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from contracts._driver import DriverSpec
from contracts.drivers._subprocess import subprocess_spec
from contracts.scenarios import SCENARIOS
from tests._tools import absent, broken

from .cells import expected, outcomes

EXAMPLE = Path(__file__).parents[3] / "examples" / "ts-driver"
BUILT = EXAMPLE / "dist" / "driver.mjs"
INSTALL_TIMEOUT = 300


def _fresh() -> bool:
    if not BUILT.exists() or not (EXAMPLE / "node_modules" / ".package-lock.json").exists():
        return False
    sources = [EXAMPLE / "package-lock.json", *(EXAMPLE / "src").glob("*.mts")]
    return all(BUILT.stat().st_mtime >= path.stat().st_mtime for path in sources)


@pytest.fixture(scope="session")
def ts_driver() -> DriverSpec:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        absent("node", "the TypeScript example needs node and npm on PATH")
    # node and npm are there: an install that fails is a failure, not a skip
    if not _fresh():
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=EXAMPLE,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            broken(f"npm ci in {EXAMPLE.name} took over {INSTALL_TIMEOUT} s")
        if done.returncode != 0 or not BUILT.exists():
            broken(f"npm ci failed in {EXAMPLE.name}: {done.stderr.strip()[-500:]}")
    return subprocess_spec(f"{node} {BUILT}")


def test_openai_node_on_key_scenarios(ts_driver: DriverSpec) -> None:
    matching = [
        ("plain_completion", "vllm-0.24"),
        ("stream_usage", "vllm-0.24"),
        ("stream_usage_absent", "wire"),
        ("tool_call_stream", "vllm-0.24"),
    ]
    cut = ("stream_cut", "vllm-0.9")
    think = ("think_inline_stream", "vllm-0.24")
    old = ("stream_usage", "vllm-0.4")
    got = outcomes(ts_driver, [*matching, cut, think, old])
    for cell in matching:
        assert got[cell] == expected(*cell), cell
    # openai-node does not wrap a connection cut mid-stream: undici's bare TypeError escapes
    assert "TypeError: terminated" in got[cut]["crash"]
    # it has no <think> parser: the tags stay in the text
    assert got[think]["text"].startswith("<think>") and "reasoning" not in got[think]
    # vLLM 0.4 rejects stream_options, which the example always sends
    assert got[old]["error"] == {"kind": "bad_request", "status": 400}


def test_responses_scenarios_are_not_applicable(ts_driver: DriverSpec) -> None:
    assert not SCENARIOS.get("responses_pinned").requires <= ts_driver.capabilities

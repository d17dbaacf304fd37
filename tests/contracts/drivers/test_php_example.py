"""The PHP example drivers (Debian's php-cli, no Composer) through --driver-cmd: the two
drivers of prism-php/prism #900, in the language the report came from.

Skips without php (fails then when LLM_FAKES_REQUIRE_PHP=1, as under make test-clients);
with php, every assertion holds or fails.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from contracts._backends import select_backends
from contracts._driver import DriverSpec
from contracts._golden import observed
from contracts._runner import run_cell
from contracts.drivers._subprocess import subprocess_spec
from contracts.scenarios import SCENARIOS
from tests._tools import absent

from .cells import expected

EXAMPLE = Path(__file__).parents[3] / "examples" / "php"


def _driver(name: str) -> DriverSpec:
    php = shutil.which("php")
    if php is None:
        absent("php", "the PHP example drivers need php on PATH (Debian: apt-get install php-cli)")
    return subprocess_spec(f"{php} {EXAMPLE / name}")


@pytest.fixture(scope="module")
def responses_driver() -> DriverSpec:
    return _driver("responses-driver.php")


@pytest.fixture(scope="module")
def chat_driver() -> DriverSpec:
    return _driver("chat-driver.php")


def _outcomes(spec: DriverSpec, cells: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    backends = {b.name: b for b in select_backends([b for _, b in cells])}

    async def one(scenario_id: str, backend: str) -> dict[str, Any]:
        scenario = SCENARIOS.get(scenario_id)
        return observed(await run_cell(spec, scenario, backends[backend]), scenario)

    async def run_all() -> list[dict[str, Any]]:
        return await asyncio.gather(*(one(s, b) for s, b in cells))

    return dict(zip(cells, asyncio.run(run_all()), strict=True))


def test_the_responses_driver_fails_where_the_route_is_absent(responses_driver: DriverSpec) -> None:
    absent_route = [
        ("plain_completion", "vllm-0.9"),
        ("plain_completion", "litellm-1.110+vllm-0.9"),
        ("plain_completion", "ollama-0.5.2"),
    ]
    present = [("plain_completion", "vllm-0.24"), ("stream_usage", "ollama-0.32.6")]
    got = _outcomes(responses_driver, [*absent_route, *present])
    for cell in absent_route:
        assert got[cell]["error"]["kind"] == "endpoint_unsupported", cell
        assert got[cell]["text"] == "", cell
    assert got[("plain_completion", "vllm-0.9")]["error"]["status"] == 404
    for cell in present:
        assert got[cell] == expected(*cell), cell


def test_the_chat_driver_crashes_on_streams_without_usage(chat_driver: DriverSpec) -> None:
    no_usage = [
        ("stream_usage", "litellm-1.110+vllm-0.34"),
        ("stream_usage", "vllm-0.9"),
        ("stream_usage", "ollama-0.32.6"),
    ]
    fine = [
        ("stream_usage", "vllm-0.4"),  # 0.4 always puts usage on the finish chunk
        ("plain_completion", "litellm-1.110+vllm-0.9"),
        ("tool_call", "ollama-0.4.6"),
    ]
    got = _outcomes(chat_driver, [*no_usage, *fine])
    for cell in no_usage:
        crash = got[cell].get("crash", "")
        assert "Uncaught TypeError" in crash, cell
        assert "must be of type int, null given" in crash, cell
    for cell in fine:
        assert got[cell] == expected(*cell), cell

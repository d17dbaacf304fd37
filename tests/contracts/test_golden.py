from __future__ import annotations

import asyncio

import pytest

from contracts import golden
from contracts._backends import all_backends
from contracts._golden import observed
from contracts._runner import run_cell
from contracts.drivers import DRIVERS, REFERENCE
from contracts.scenarios import SCENARIOS


def test_every_scenario_has_a_golden_file_and_every_file_a_scenario() -> None:
    files = {path.stem for path in golden.GOLDEN_DIR.glob("*.yaml")}
    assert files == {s.id for s in SCENARIOS.all()}


def test_at_least_25_scenarios_in_every_family() -> None:
    scenarios = SCENARIOS.all()
    assert len(scenarios) >= 25
    assert {s.family for s in scenarios} == {
        "endpoints",
        "usage",
        "tools",
        "reasoning",
        "errors",
        "framing",
        "requests",
    }


def test_registering_a_scenario_twice_fails_loudly() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        SCENARIOS.add(SCENARIOS.get("plain_completion"))


LIVE_CASES = [
    "stream_usage",
    "stream_cut",
    "error_frame_mid_stream",
    "sse_crlf",
    "responses_auto_fallback",
]


@pytest.mark.live
@pytest.mark.parametrize("driver", REFERENCE)
def test_live_sockets_give_the_same_outcomes_as_in_process(driver: str) -> None:
    spec = DRIVERS.get(driver)
    backends = [b for b in all_backends() if b.name in ("vllm-0.5", "vllm-0.24", "wire")]

    async def both() -> list[tuple[str, str, object, object]]:
        pairs = []
        for scenario in map(SCENARIOS.get, LIVE_CASES):
            if scenario.requires - spec.capabilities:
                continue
            for backend in [b for b in backends if b.applies(scenario)]:
                here = observed(await run_cell(spec, scenario, backend), scenario)
                there = observed(await run_cell(spec, scenario, backend, live=True), scenario)
                pairs.append((scenario.id, backend.name, here, there))
        return pairs

    pairs = asyncio.run(both())
    assert len(pairs) >= 6
    for scenario, backend, here, there in pairs:
        assert here == there, (scenario, backend)

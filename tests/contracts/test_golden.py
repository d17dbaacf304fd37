from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from contracts import golden
from contracts._backends import all_backends
from contracts.drivers import DRIVERS, REFERENCE
from contracts.matrix import run_matrix
from contracts.scenarios import SCENARIOS


def test_every_scenario_has_a_golden_file_and_every_file_a_scenario() -> None:
    files = {path.stem for path in golden.GOLDEN_DIR.glob("*.yaml")}
    assert files == {s.id for s in SCENARIOS.all()}


MIN_PER_FAMILY = 2  # a family is more than one scenario (requests has 2 today)
FAMILIES = (
    "endpoints",
    "usage",
    "tools",
    "reasoning",
    "errors",
    "framing",
    "requests",
    "anthropic",
)


def test_at_least_25_scenarios_and_every_family_has_several() -> None:
    scenarios = SCENARIOS.all()
    per_family = Counter(s.family for s in scenarios)
    assert len(scenarios) >= 25
    assert sorted(per_family) == sorted(FAMILIES)
    thin = {family: n for family, n in per_family.items() if n < MIN_PER_FAMILY}
    assert thin == {}, f"families with fewer than {MIN_PER_FAMILY} scenarios"


def test_registering_a_scenario_twice_fails_loudly() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        SCENARIOS.add(SCENARIOS.get("plain_completion"))


# Every scenario runs on at least one of these (wire-only ones on "wire").
EQUIVALENCE_BACKENDS = (
    "vllm-0.4",
    "vllm-0.9",
    "vllm-0.10.0",
    "vllm-0.24",
    "wire",
    "litellm-1.74+vllm-0.9",
    "litellm-1.110+vllm-0.9",
)


@pytest.mark.live
def test_every_scenario_gives_the_same_outcome_in_process_and_over_sockets() -> None:
    drivers = [DRIVERS.get(name) for name in REFERENCE]
    backends = [b for b in all_backends() if b.name in EQUIVALENCE_BACKENDS]
    scenarios = SCENARIOS.all()
    here = asyncio.run(run_matrix(drivers, backends, scenarios))
    there = asyncio.run(run_matrix(drivers, backends, scenarios, live=True))
    covered = {c.scenario for c in here.cells}
    assert covered == {s.id for s in scenarios}
    assert len(here.cells) == len(there.cells) > 300
    pairs = {(c.driver, c.backend, c.scenario): c.observed for c in here.cells}
    different = [
        (c.driver, c.backend, c.scenario)
        for c in there.cells
        if pairs[(c.driver, c.backend, c.scenario)] != c.observed
    ]
    assert different == []

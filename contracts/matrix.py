"""The compatibility matrix: drivers x backends x scenarios, each cell compared to its golden."""

from __future__ import annotations

import asyncio
import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts import golden
from contracts._backends import Backend
from contracts._driver import DriverSpec, not_applicable
from contracts._golden import observed
from contracts._hub import Hub
from contracts._runner import run_cell
from contracts._scenario import Scenario

PASS, FAIL, CRASH, NOT_APPLICABLE, NO_GOLDEN = "pass", "fail", "crash", "n/a", "no golden"
OUTCOMES = (PASS, FAIL, CRASH, NOT_APPLICABLE, NO_GOLDEN)


@dataclass
class Cell:
    driver: str
    backend: str
    scenario: str
    outcome: str
    detail: str = ""
    observed: dict[str, Any] | None = None
    expected: dict[str, Any] | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "driver": self.driver,
            "backend": self.backend,
            "scenario": self.scenario,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass
class Matrix:
    drivers: list[str]
    backends: list[str]
    scenarios: list[Scenario]
    cells: list[Cell]
    seconds: float = 0.0

    def cell(self, driver: str, backend: str, scenario: str) -> Cell | None:
        for cell in self.cells:
            if (cell.driver, cell.backend, cell.scenario) == (driver, backend, scenario):
                return cell
        return None

    def summary(self) -> dict[str, dict[str, int]]:
        counts: dict[str, Counter[str]] = {d: Counter() for d in self.drivers}
        for cell in self.cells:
            counts[cell.driver][cell.outcome] += 1
        return {d: {o: counts[d][o] for o in OUTCOMES} for d in self.drivers}


def compare(value: dict[str, Any], expected: dict[str, Any] | None) -> tuple[str, str]:
    if "crash" in value:
        return CRASH, str(value["crash"])
    if expected is None:
        return NO_GOLDEN, "no golden entry for this backend: run the suite with --snapshot-update"
    if value == expected:
        return PASS, ""
    diff = difflib.unified_diff(
        golden.dump(expected).splitlines(),
        golden.dump(value).splitlines(),
        "golden",
        "driver",
        lineterm="",
    )
    return FAIL, "\n".join(diff)


async def _cell(
    spec: DriverSpec,
    scenario: Scenario,
    backend: Backend,
    expected: dict[str, Any] | None,
    live: bool,
    hub: Hub | None,
) -> Cell:
    detail = not_applicable(scenario.requires, spec.capabilities)
    if detail is not None:
        return Cell(spec.name, backend.name, scenario.id, NOT_APPLICABLE, detail)
    run = await run_cell(spec, scenario, backend, live=live, hub=hub)
    value = observed(run, scenario)
    outcome, detail = compare(value, expected)
    return Cell(
        spec.name, backend.name, scenario.id, outcome, detail, value, expected, run.exchanges
    )


async def run_matrix(
    drivers: Sequence[DriverSpec],
    backends: Sequence[Backend],
    scenarios: Sequence[Scenario],
    *,
    live: bool = False,
    concurrency: int = 8,
    on_cell: Callable[[Cell], None] | None = None,
    keep: Callable[[int], bool] | None = None,
) -> Matrix:
    """Every applicable cell, run ``concurrency`` at a time (each on its own fake).

    ``keep`` picks cells by their position in ``plan`` (a shard runs only its own)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    goldens = {s.id: (golden.load(s.id) or {}).get("expected", {}) for s in scenarios}
    gate = asyncio.Semaphore(concurrency)
    hub = Hub()

    async def one(spec: DriverSpec, scenario: Scenario, backend: Backend) -> Cell:
        async with gate:
            expected = goldens[scenario.id].get(backend.name)
            cell = await _cell(spec, scenario, backend, expected, live, hub)
        if on_cell is not None:
            on_cell(cell)
        return cell

    planned = plan(drivers, backends, scenarios)
    jobs = [
        one(spec, scenario, backend)
        for position, (spec, scenario, backend) in enumerate(planned)
        if keep is None or keep(position)
    ]
    try:
        cells = list(await asyncio.gather(*jobs))
    finally:
        hub.stop()
    return Matrix(
        [d.name for d in drivers],
        [b.name for b in backends],
        list(scenarios),
        cells,
        loop.time() - started,
    )


def plan(
    drivers: Sequence[DriverSpec], backends: Sequence[Backend], scenarios: Sequence[Scenario]
) -> list[tuple[DriverSpec, Scenario, Backend]]:
    """Every cell of a run, in report order: driver, then scenario, then backend."""
    return [
        (spec, scenario, backend)
        for spec in drivers
        for scenario in scenarios
        for backend in backends
        if backend.applies(scenario)
    ]


def count_cells(backends: Sequence[Backend], scenarios: Sequence[Scenario], drivers: int) -> int:
    return drivers * sum(1 for s in scenarios for b in backends if b.applies(s))

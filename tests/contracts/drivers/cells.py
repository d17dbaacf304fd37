"""Run a driver on a few (scenario, backend) cells and compare with the shared goldens."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts import golden as golden_files
from contracts._backends import all_backends
from contracts._driver import DriverSpec
from contracts._golden import observed
from contracts._runner import run_cell
from contracts.scenarios import SCENARIOS


def outcomes(
    spec: DriverSpec, cells: list[tuple[str, str]], *, live: bool = False
) -> dict[tuple[str, str], dict[str, Any]]:
    """What ``spec`` did on each (scenario id, backend name) cell, in the golden's terms."""
    backends = {b.name: b for b in all_backends(litellm=False)}

    async def run_all() -> list[dict[str, Any]]:
        async def one(scenario_id: str, backend: str) -> dict[str, Any]:
            scenario = SCENARIOS.get(scenario_id)
            run = await run_cell(spec, scenario, backends[backend], live=live)
            return observed(run, scenario)

        return await asyncio.gather(*(one(s, b) for s, b in cells))

    return dict(zip(cells, asyncio.run(run_all()), strict=True))


def expected(scenario_id: str, backend: str) -> dict[str, Any]:
    stored = golden_files.load(scenario_id)
    assert stored is not None, scenario_id
    value: dict[str, Any] = stored["expected"][backend]
    return value

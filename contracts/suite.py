"""The contract test a driver author runs: ``from contracts.suite import test_contract``.

One test per scenario; it runs the driver on every backend where the scenario applies and
compares the outcomes with the scenario's golden file.
"""

from __future__ import annotations

import asyncio
import difflib
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from contracts import golden as golden_files
from contracts._backends import Backend
from contracts._driver import DriverSpec, not_applicable
from contracts._golden import document, observed
from contracts._hub import Hub
from contracts._runner import run_cell
from contracts._scenario import Scenario
from contracts.scenarios import SCENARIOS


async def outcomes(
    spec: DriverSpec,
    scenario: Scenario,
    backends: list[Backend],
    *,
    live: bool = False,
    hub: Hub | None = None,
) -> dict[str, dict[str, Any]]:
    chosen = [b for b in backends if b.applies(scenario)]
    runs = await asyncio.gather(*(run_cell(spec, scenario, b, live=live, hub=hub) for b in chosen))
    return {b.name: observed(run, scenario) for b, run in zip(chosen, runs, strict=True)}


@pytest.mark.parametrize("scenario", SCENARIOS.all(), ids=lambda s: s.id)
def test_contract(
    scenario: Scenario,
    contract_driver: DriverSpec,
    contract_backends: tuple[list[Backend], bool],
    contract_live: bool,
    contract_hub: Hub,
    golden: SnapshotAssertion,
) -> None:
    reason = not_applicable(scenario.requires, contract_driver.capabilities)
    if reason is not None:
        pytest.skip(f"{contract_driver.name}: {reason}")
    backends, filtered = contract_backends
    results = asyncio.run(
        outcomes(contract_driver, scenario, backends, live=contract_live, hub=contract_hub)
    )
    if not results:
        pytest.skip(f"no selected backend runs {scenario.id}")
    if not filtered:
        reported = document(scenario, results)
        if golden(name=scenario.id) != reported:  # syrupy records (and updates) it
            path = golden_files.GOLDEN_DIR / f"{scenario.id}.yaml"
            stored_text = path.read_text(encoding="utf-8") if path.is_file() else ""
            pytest.fail(
                mismatch(
                    scenario.id, contract_driver.name, stored_text, golden_files.dump(reported)
                ),
                pytrace=False,
            )
        return
    stored = golden_files.load(scenario.id)
    assert stored is not None, f"no golden file for {scenario.id}: run the full suite first"
    expected = golden_files.dump({name: stored["expected"].get(name) for name in results})
    if golden_files.dump(results) != expected:
        pytest.fail(
            mismatch(scenario.id, contract_driver.name, expected, golden_files.dump(results)),
            pytrace=False,
        )


def mismatch(scenario_id: str, driver: str, golden_text: str, driver_text: str) -> str:
    """A unified diff that says which side is which: ``-`` the golden, ``+`` the driver."""
    diff = difflib.unified_diff(
        golden_text.splitlines(keepends=True),
        driver_text.splitlines(keepends=True),
        fromfile=f"golden contracts/golden/{scenario_id}.yaml (what a correct driver reports)",
        tofile=f"driver {driver} (what it reported)",
    )
    return (
        f"driver {driver} differs from the golden of {scenario_id} "
        "(- golden, + driver):\n" + "".join(diff)
    )

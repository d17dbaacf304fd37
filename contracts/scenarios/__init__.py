"""Every contract scenario, one module per family; ids are unique across families."""

from __future__ import annotations

from contracts._scenario import ScenarioRegistry
from contracts.scenarios import (
    anthropic,
    endpoints,
    errors,
    framing,
    reasoning,
    requests,
    tools,
    usage,
)

SCENARIOS = ScenarioRegistry()
for _family in (endpoints, usage, tools, reasoning, errors, framing, requests, anthropic):
    SCENARIOS.add(*_family.SCENARIOS)

__all__ = ["SCENARIOS"]

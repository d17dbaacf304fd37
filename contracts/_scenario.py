"""A contract scenario: a backend setup, a caller's request, and where it applies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts._model import Request
from fakes.model.canned import CannedRoute
from fakes.model.faults import FaultRule
from fakes.model.script import Script
from fakes.profiles import Knobs

# Scenario ids name golden files (contracts/golden/<id>.yaml): never a path.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def check_id(scenario_id: str) -> str:
    if not SAFE_ID.fullmatch(scenario_id):
        raise ValueError(
            f"scenario id {scenario_id!r} is not a safe name: letters, digits, '_', '.', '-' "
            "(not first), at most 100 characters, no path separators"
        )
    return scenario_id


# Which backends a scenario runs on: every profile (fake vLLM, and fake LiteLLM in front),
# or only the "wire" backend, where canned bytes reproduce a quirk seen in the wild.
PROFILES = "profiles"
WIRE = "wire"


@dataclass(frozen=True)
class Scenario:
    id: str
    family: str
    title: str
    quirk: str  # where the quirk is described (quirks.md section, issue)
    request: Request
    runs_on: str = PROFILES
    script: Script | None = None
    faults: tuple[FaultRule, ...] = ()
    canned: tuple[CannedRoute, ...] = ()
    vllm: Mapping[str, Any] = field(default_factory=dict)  # VllmConfig overrides
    model: str | None = None  # the model the caller asks for; None: the served one
    api_key: str | None = None  # the key the caller sends; None: the backend's own
    applies: Callable[[Knobs], bool] | None = None  # on which vLLM knob sets it makes sense
    requires: frozenset[str] = frozenset()  # driver capabilities
    check_calls: bool = False  # the request sequence (paths, statuses) is part of the contract


class ScenarioRegistry:
    def __init__(self) -> None:
        self._scenarios: dict[str, Scenario] = {}

    def add(self, *scenarios: Scenario) -> None:
        for scenario in scenarios:
            check_id(scenario.id)
            if scenario.id in self._scenarios:
                raise ValueError(f"scenario {scenario.id!r} is registered twice")
            self._scenarios[scenario.id] = scenario

    def all(self) -> list[Scenario]:
        return list(self._scenarios.values())

    def get(self, scenario_id: str) -> Scenario:
        try:
            return self._scenarios[scenario_id]
        except KeyError:
            raise KeyError(
                f"unknown scenario {scenario_id!r}; known: {', '.join(self._scenarios)}"
            ) from None

    def select(self, patterns: Iterable[str]) -> list[Scenario]:
        import fnmatch

        wanted = list(patterns)
        if not wanted:
            return self.all()
        chosen = [s for s in self.all() if any(fnmatch.fnmatch(s.id, p) for p in wanted)]
        if not chosen:
            raise KeyError(f"no scenario matches {', '.join(wanted)}")
        return chosen

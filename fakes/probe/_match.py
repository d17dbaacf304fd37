"""Score every built-in profile against what was observed; the differences, knob by knob."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fakes.probe._observe import Observation, Observed, norm
from fakes.profiles import BaseProfile


@dataclass(frozen=True)
class Difference:
    knob: str
    expected: Any
    observed: Any
    evidence: str
    expressible: bool
    note: str = ""


@dataclass(frozen=True)
class Match:
    profile: BaseProfile
    matched: int
    compared: int
    differences: tuple[Difference, ...]

    @property
    def score(self) -> float:
        return self.matched / self.compared if self.compared else 0.0


def expected_value(profile: BaseProfile, observation: Observation) -> Any:
    value = norm(getattr(profile.knobs, observation.knob))
    return observation.project(value) if observation.project else value


def compare(profile: BaseProfile, observed: Observed) -> Match:
    differences = []
    for knob, observation in observed.knobs.items():
        expected = expected_value(profile, observation)
        if expected != observation.value:
            differences.append(
                Difference(
                    knob,
                    expected,
                    observation.value,
                    observation.evidence,
                    observation.expressible,
                    observation.note,
                )
            )
    compared = len(observed.knobs)
    return Match(profile, compared - len(differences), compared, tuple(differences))


def rank(profiles: Iterable[BaseProfile], observed: Observed) -> list[Match]:
    """Best first; equal scores keep release order (oldest first)."""
    matches = [compare(p, observed) for p in profiles]
    return sorted(matches, key=lambda m: -m.score)


def tied(matches: list[Match]) -> list[Match]:
    """The matches as good as the best, with the very same differences."""
    if not matches:
        return []
    best = matches[0]
    same = {(d.knob, repr(d.observed)) for d in best.differences}
    return [
        m
        for m in matches
        if m.score == best.score and {(d.knob, repr(d.observed)) for d in m.differences} == same
    ]


def separating_knobs(matches: list[Match]) -> list[str]:
    """Knobs on which tied profiles differ (all of them unobserved, by construction)."""
    if len(matches) < 2:
        return []
    first = matches[0].profile.knobs.model_dump(mode="json")
    out: set[str] = set()
    for other in matches[1:]:
        values = other.profile.knobs.model_dump(mode="json")
        out.update(k for k, v in first.items() if values.get(k) != v)
    return sorted(out)

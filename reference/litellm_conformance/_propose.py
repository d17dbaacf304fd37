"""A proposed profile for a LiteLLM proxy release no profile was proven on.

The proxy's behaviour moves between releases one quirk at a time, and each quirk the fake
knows is a knob whose other values the other profiles already hold. So the proposal is found
by trying them: the fake is replayed against the release's recorded answers with the nearest
profile, then once more for each knob value another profile holds. A value that makes some
differences vanish and none appear is proposed, with the vanished lines as its evidence; a
value that removes some and adds others is listed as tangled; what no value explains is
listed as unexplained (the fake may need code there). A maintainer reviews each knob, cites
the release's ``file:line``, and the file becomes a profile (it loads as is with
``--profile FILE``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic_core import to_jsonable_python

from fakes.profiles import LitellmProfile
from fakes.profiles._registry import with_knobs
from reference.litellm_conformance import _known
from reference.litellm_conformance._compare import differences
from reference.litellm_conformance._recording import Recording
from reference.litellm_conformance._stacks import fake_answers, replayed_hub
from reference.litellm_conformance._upstream_kinds import resolve_upstream


@dataclass(frozen=True)
class Candidate:
    knob: str
    value: Any
    holder: str  # the profile that holds this value


@dataclass(frozen=True)
class Outcome:
    """The differences left with one profile: the lines (each prefixed with its upstream)
    and how many exchanges are identical."""

    lines: frozenset[str]
    identical: int
    total: int


@dataclass
class Proposal:
    release: str
    parent: LitellmProfile
    before: Outcome
    after: Outcome | None = None
    knobs: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)
    tangled: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def unexplained(self) -> list[str]:
        left = self.after if self.after is not None else self.before
        return sorted(left.lines)


def outcome(profile: LitellmProfile, recordings: Sequence[Recording]) -> Outcome:
    """The fake with ``profile`` against every recording's real answers."""
    lines: set[str] = set()
    identical = total = 0
    for recorded in recordings:
        provider = resolve_upstream(recorded.upstream).provider
        hub = replayed_hub(recorded.upstream_answers)
        fake = fake_answers(recorded.litellm, recorded.units, hub, provider, profile=profile)
        found = differences(recorded.answers, fake)
        lines.update(f"{recorded.upstream}: {line}" for line in _known.flat(found))
        exchanges = sum(len(unit.requests) for unit in recorded.units)
        total += exchanges
        identical += exchanges - len(_known.exchanges_with_differences(found))
    return Outcome(frozenset(lines), identical, total)


def candidates(parent: LitellmProfile, others: Iterable[LitellmProfile]) -> list[Candidate]:
    """Every knob value another profile holds and the parent does not, once each."""
    seen: list[Candidate] = []
    for other in others:
        if other.name == parent.name:
            continue
        for knob in type(parent.knobs).model_fields:
            value = getattr(other.knobs, knob)
            if value != getattr(parent.knobs, knob) and not any(
                c.knob == knob and c.value == value for c in seen
            ):
                seen.append(Candidate(knob, value, other.name))
    return seen


def propose(
    release: str,
    parent: LitellmProfile,
    others: Iterable[LitellmProfile],
    recordings: Sequence[Recording],
    progress: Callable[[str], None] = lambda _: None,
) -> Proposal:
    proposal = Proposal(release, parent, outcome(parent, recordings))
    before = proposal.before.lines
    progress(f"{parent.name}: {proposal.before.identical}/{proposal.before.total} identical")
    if not before:
        return proposal
    removing: dict[str, tuple[Candidate, list[str]]] = {}
    for candidate in candidates(parent, others):
        tried = with_knobs(parent, {candidate.knob: candidate.value})
        lines = outcome(tried, recordings).lines
        removed, added = sorted(before - lines), sorted(lines - before)
        if removed and added:
            proposal.tangled[candidate.knob] = (removed, added)
        elif removed:
            best = removing.get(candidate.knob)
            if best is None or len(removed) > len(best[1]):
                removing[candidate.knob] = (candidate, removed)
        if removed:
            progress(f"{candidate.knob}={candidate.value!r}: -{len(removed)} +{len(added)}")
    for knob, (candidate, removed) in removing.items():
        proposal.knobs[knob] = candidate.value
        proposal.evidence[knob] = removed
        proposal.holders[knob] = candidate.holder
        proposal.tangled.pop(knob, None)
    if proposal.knobs:
        proposal.after = outcome(with_knobs(parent, proposal.knobs), recordings)
    return proposal


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _figures(outcome: Outcome) -> str:
    return f"{outcome.identical}/{outcome.total} exchanges identical"


def render(proposal: Proposal) -> str:
    """The proposal as a profile YAML, evidence in ``sources`` and comments."""
    parent = proposal.parent
    sources = {
        knob: (
            f"PROPOSED, cite the {proposal.release} file:line; {proposal.holders[knob]}'s value"
            " removes: "
            + "; ".join(_clip(line) for line in found[:3])
            + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        )
        for knob, found in proposal.evidence.items()
    }
    document: dict[str, Any] = {
        "name": f"litellm-{proposal.release}",
        "extends": parent.name,
        "versions": f">={proposal.release}",
        "reference": proposal.release,
        "summary": f"PROPOSED from the real LiteLLM {proposal.release}: review before use",
        "sources": sources,
    }
    after = f"; with the proposed knobs {_figures(proposal.after)}" if proposal.after else ""
    head = [
        f"# PROPOSED by the LiteLLM conformance run: the real proxy {proposal.release} against",
        f"# the fake of {parent.name} (reference {parent.reference}):"
        f" {_figures(proposal.before)}{after}.",
        "# Review each knob against the release's code and replace its source with the",
        f"# release's file:line; narrow the versions of {parent.name} and its neighbours if this",
        "# becomes a profile.",
        "",
    ]
    tail: list[str] = []
    if proposal.tangled:
        tail += ["", "# Knob values that remove some differences and add others (not proposed):"]
        for knob, (removed, added) in proposal.tangled.items():
            tail.append(f"#   {knob}: -{len(removed)} +{len(added)}, e.g. adds {_clip(added[0])}")
    if proposal.unexplained:
        tail += [
            "",
            "# Unexplained differences (no knob value explains them; the fake may need code):",
        ]
        tail += [f"#   {_clip(line)}" for line in proposal.unexplained]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    knobs = yaml.safe_dump(
        {"knobs": to_jsonable_python(proposal.knobs)},
        sort_keys=False,
        width=100,
        default_flow_style=None,
    )
    body += knobs if proposal.knobs else "knobs: {}\n"
    return "\n".join(head) + body + "\n".join(tail) + ("\n" if tail else "")

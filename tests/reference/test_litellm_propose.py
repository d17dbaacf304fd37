"""The proposed LiteLLM profile: the knob values that explain a release's recorded answers
against the fake of another profile, checked on the committed 1.74.15.post2 recording as if
no profile named 1.74 (no real proxy needed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fakes.profiles import LitellmProfile, builtin
from fakes.profiles._registry import load_override, with_knobs
from reference.litellm_conformance._propose import candidates, outcome, propose, render
from reference.litellm_conformance._recording import Recording, read

RECORDING = (
    Path(__file__).resolve().parents[2]
    / "recordings"
    / "litellm"
    / "litellm-1.74.15.post2+vllm-0.9.json"
)
# a plain body, a stream with usage and a mock answer: quick, and where 1.74 and 1.110 differ
UNITS = ("plain_completion.openai-compatible", "stream_usage.openai-compatible", "probe.mock")


@pytest.fixture(scope="module")
def recording() -> Recording:
    recorded = read(RECORDING)
    units = [u for u in recorded.units if u.name in UNITS]
    assert [u.name for u in units] == list(UNITS)
    return dataclasses.replace(
        recorded,
        units=units,
        answers={name: recorded.answers[name] for name in UNITS},
        upstream_answers={name: recorded.upstream_answers[name] for name in UNITS},
    )


@pytest.fixture(scope="module")
def profiles() -> dict[str, LitellmProfile]:
    return {p.name: p for p in builtin("litellm")}


def test_candidates_are_the_other_profiles_values_once_each(
    profiles: dict[str, LitellmProfile],
) -> None:
    parent, other = profiles["litellm-1.110"], profiles["litellm-1.74"]
    found = candidates(parent, profiles.values())
    assert found, "1.74 and 1.110 differ in many knobs"
    assert all(getattr(profiles[c.holder].knobs, c.knob) == c.value for c in found)
    assert all(getattr(parent.knobs, c.knob) != c.value for c in found)
    pairs = [(c.knob, repr(c.value)) for c in found]
    assert len(set(pairs)) == len(pairs)
    differing = {
        knob
        for knob in type(parent.knobs).model_fields
        if getattr(parent.knobs, knob) != getattr(other.knobs, knob)
    }
    assert differing <= {c.knob for c in found}


def test_the_release_own_profile_leaves_nothing_to_propose(
    recording: Recording, profiles: dict[str, LitellmProfile]
) -> None:
    proposal = propose("1.74.15.post2", profiles["litellm-1.74"], profiles.values(), [recording])
    assert proposal.before.lines == frozenset()
    assert proposal.before.identical == proposal.before.total > 0
    assert proposal.knobs == {}


def test_1_74_against_the_1_110_profile(
    recording: Recording, profiles: dict[str, LitellmProfile], tmp_path: Path
) -> None:
    parent, real = profiles["litellm-1.110"], profiles["litellm-1.74"]
    # a few of 1.74's values to try (all 67 take a minute: the command line tries them all);
    # missing_messages cannot show in these answers, so it must not be proposed
    tried = ("response_model", "chat_headers", "keep_null_fields", "missing_messages")
    other = with_knobs(parent, {k: getattr(real.knobs, k) for k in tried}).model_copy(
        update={"name": "litellm-1.74-part"}
    )
    proposal = propose("1.74.15.post2", parent, [parent, other], [recording])
    before, after = proposal.before, proposal.after
    assert before.identical < before.total
    assert after is not None
    # the proposed values explain differences and add none
    assert after.lines < before.lines
    assert after.identical >= before.identical
    assert set(proposal.knobs) == {"response_model", "chat_headers", "keep_null_fields"}
    assert proposal.knobs["response_model"] == "provider"
    # each knob comes with the lines its value removed, and they are the 1.110 fake's lines
    for knob, lines in proposal.evidence.items():
        assert lines and set(lines) <= before.lines, knob
    assert set(proposal.unexplained) == after.lines
    # the file loads as a profile that extends the parent with exactly these knobs
    path = tmp_path / "proposed-1.74.yaml"
    path.write_text(render(proposal))
    loaded = load_override(path, parent, builtin("litellm"))
    assert loaded.name == "litellm-1.74.15.post2"
    for knob in type(parent.knobs).model_fields:
        expected = proposal.knobs.get(knob, getattr(parent.knobs, knob))
        assert getattr(loaded.knobs, knob) == expected, knob
    # and the fake with it answers as the proposal says
    assert outcome(loaded, [recording]).lines == after.lines

"""The real proxies' router answers (recordings/litellm/router-litellm-*.json, from
``python -m reference.litellm_conformance.router --record``): the fake LiteLLM in front of
the same fake vLLM replicas (one failing) answers every step with the same status, headers
and body values, and reaches the same replicas in the same order; the only differences
allowed are the ones listed beside each recording (``*.known.txt``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reference.litellm_conformance import _known
from reference.litellm_conformance.router import compare, fake_answers, read

ROOT = Path(__file__).parents[3] / "recordings" / "litellm"
RECORDINGS = sorted(ROOT.glob("router-litellm-*.json"))


def test_both_release_lines_are_recorded() -> None:
    names = [p.stem for p in RECORDINGS]
    assert any("1.110" in n for n in names) and any("1.74" in n for n in names), names


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_the_recording_shows_retries_cooldown_and_fallback(path: Path) -> None:
    answers = read(path)
    assert "Str0ng-Master-Key" not in path.read_text() and "127.0.0.1" not in path.read_text()
    first = answers[0]
    assert first["replicas"][0] == "a1"  # the failing replica is tried first, by weight
    fallback = next(a for a in answers if a["label"].startswith("solo:"))
    assert fallback["status"] == 200 and fallback["replicas"][-1] == "c2"


@pytest.mark.live
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_the_fake_routes_like_the_recorded_real_proxy(path: Path) -> None:
    version = path.stem.removeprefix("router-litellm-")
    found = compare(read(path), fake_answers(version))
    known = _known.load(path)
    assert [line for line in found if line not in known] == [], "new differences"
    assert [line for line in known if line not in found] == [], "fixed: drop from known.txt"

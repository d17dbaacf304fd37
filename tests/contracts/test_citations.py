"""Every scenario cites where its quirk is written down, and every citation resolves: an
anchor of a page under docs/ (the generated quirk catalogue, the wire quirks) or a profile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts._scenario import Scenario
from contracts.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"(docs/[\w-]+\.md)#([\w-]+)|(fakes/profiles/\w+/\w+\.yaml)")


def _anchors(page: Path) -> set[str]:
    return set(re.findall(r'<a id="([\w-]+)"></a>', page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("scenario", SCENARIOS.all(), ids=[s.id for s in SCENARIOS.all()])
def test_each_citation_resolves(scenario: Scenario) -> None:
    quirk = scenario.quirk
    assert not re.search(r"quirks\.md \d", quirk), f"an outside file's section: {quirk}"
    cited = CITATION.findall(quirk)
    assert cited, f"no citation in {quirk!r}"
    for page, anchor, profile in cited:
        if profile:
            assert (ROOT / profile).is_file(), profile
            continue
        assert (ROOT / page).is_file(), page
        assert anchor in _anchors(ROOT / page), f"{page}#{anchor} does not exist"


def test_a_broken_anchor_is_caught() -> None:
    """The check above can fail: an anchor the catalogue does not have is not among its anchors."""
    assert "vllm-no_such_knob" not in _anchors(ROOT / "docs" / "quirks.md")
    assert "vllm-stream_usage" in _anchors(ROOT / "docs" / "quirks.md")

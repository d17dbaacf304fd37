"""The fake vLLM against real vLLM releases' own answers, without vLLM installed.

Every ``recordings/vllm/vllm-X.jsonl`` was recorded by ``make record-vllm`` from release X's
own OpenAI app (reference/vllm_harness: a scripted engine in place of the GPU). Each setup's
requests go to a fake built the same way (served name, flags, script); the answers must be
byte-identical after normalizing ids' random parts, ``created`` and timing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.profiles import Knobs, resolve_vllm_profile
from fakes.record import Interaction, load
from reference.vllm_harness._setup import Setup, fake_app
from reference.vllm_harness._setups_file import read_environment, read_setups
from reference.vllm_harness.figures import replay

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"
CASSETTES = sorted(RECORDINGS.glob("vllm-*.jsonl"))


class PendingDifference(Exception):
    """The only differences are ones named in the reason (see KNOWN)."""


@dataclass(frozen=True)
class Known:
    reason: str
    applies: Callable[[Knobs, Interaction], bool]  # to this interaction, with this fake
    line: re.Pattern[str]  # a difference line it explains
    releases: tuple[str, ...] = ()  # the recorded releases it was seen on; () for every one


# Every recorded difference is imitated today; a new finding not fixed yet goes here, with its
# reason and the releases it was seen on.
KNOWN: tuple[Known, ...] = ()


def _cases() -> list[object]:
    cases: list[object] = []
    for cassette in CASSETTES:
        release, groups = read_setups(cassette)
        environment = read_environment(cassette)
        items = load(cassette).interactions
        profile = resolve_vllm_profile(release, None)[0]
        knobs = profile.knobs
        start = 0
        for setup, count in groups:
            mine = items[start : start + count]
            start += count
            pending = [
                k
                for k in KNOWN
                if release in (k.releases or (release,))
                and any(k.applies(knobs, item) for item in mine)
            ]
            marks = [
                pytest.mark.xfail(
                    strict=True,
                    raises=PendingDifference,
                    reason="; ".join(p.reason for p in pending),
                )
            ]
            cases.append(
                pytest.param(
                    release,
                    setup,
                    environment,
                    mine,
                    pending,
                    id=f"{release}:{setup.name}",
                    marks=marks if pending else [],
                )
            )
    return cases


@pytest.mark.parametrize(("release", "setup", "environment", "items", "pending"), _cases())
def test_the_fake_answers_as_the_release_did(
    release: str,
    setup: Setup,
    environment: dict[str, str],
    items: list[Interaction],
    pending: list[Known],
) -> None:
    knobs = resolve_vllm_profile(release, None)[0].knobs
    found: list[str] = []
    unexplained: list[str] = []
    # one fake per setup, called in process (no socket), with the recording's FastAPI
    app = fake_app(release, setup, environment)
    for number, item in enumerate(items):
        lines = replay(app, setup, item)  # the same replay as the figures table's
        known = [k for k in pending if k.applies(knobs, item)]
        where = f"#{number} {item.method} {item.path}"
        for line in lines:
            found.append(f"{where} {line}")
            if not any(k.line.search(line) for k in known):
                unexplained.append(f"{where} {line}")
    assert not unexplained, "\n".join(unexplained)
    if found:
        raise PendingDifference("\n".join(found))

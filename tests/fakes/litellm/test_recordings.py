"""Replays what the real proxy answered in `make conformance` (recordings/litellm/) against
the fake: the same probes, zero structural differences, without installing the real proxy."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.conformance import differences, fake_stack, read_recording, run_probes

RECORDINGS = sorted((Path(__file__).parents[3] / "recordings" / "litellm").glob("*.json"))


def test_there_are_recordings_for_both_lines() -> None:
    names = [path.name for path in RECORDINGS]
    assert any("1.74" in n for n in names) and any("1.110" in n for n in names), names


@pytest.mark.live
@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_fake_matches_the_recorded_real_proxy(path: Path) -> None:
    version, real = read_recording(path)
    with fake_stack(version) as (proxy, upstream):
        fake = run_probes(proxy.url, upstream)
    assert differences(real, fake) == []


def test_differences_are_reported_by_path() -> None:
    real = {
        "p": {
            "status": 200,
            "headers": {"content-type": "application/json", "x-a": "1"},
            "body": '{"model":"m","usage":{"n":1},"id":"x"}',
            "upstream_calls": 1,
        }
    }
    fake = {
        "p": {
            "status": 200,
            "headers": {"content-type": "application/json", "x-b": "1"},
            "body": '{"model":"other","usage":{"n":"1"},"id":"y"}',
            "upstream_calls": 3,
        }
    }
    assert sorted(differences(real, fake)) == [
        "p.body[1].model[1]: real 'm' != fake 'other'",
        "p.body[1].usage.n[1]: real 'int' != fake 'str'",
        "p.headers: 'x-a' only in the real proxy",
        "p.headers: 'x-b' only in the fake",
        "p.upstream_calls: real 1 != fake 3",
    ]

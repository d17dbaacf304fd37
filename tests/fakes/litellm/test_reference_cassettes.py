"""The real LiteLLM proxy's sessions (recordings/litellm-*.jsonl, from `make record-reference`)
replay byte for byte, and the fake LiteLLM answers the same probes with the same structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.conformance import PROBES, differences, fake_stack, run_probes
from fakes.record import Interaction, Replayer, load
from fakes.server import live

CASSETTES = sorted((Path(__file__).parents[3] / "recordings").glob("litellm-*.jsonl"))


def _version(path: Path) -> str:
    return path.stem.removeprefix("litellm-")


def _answer(item: Interaction) -> dict[str, Any]:
    return {
        "status": item.status,
        "headers": item.response_headers,
        "body": item.body.decode("utf-8", "replace"),
        "upstream_calls": 0,  # not in a cassette: the conformance run compares those
    }


def test_both_release_lines_are_recorded() -> None:
    versions = [_version(p) for p in CASSETTES]
    assert any(v.startswith("1.74") for v in versions), versions
    assert any(v.startswith("1.110") for v in versions), versions


@pytest.mark.parametrize("path", CASSETTES, ids=_version)
def test_secrets_never_reached_the_cassette(path: Path) -> None:
    text = path.read_text()
    assert "Str0ng-Master-Key" not in text and "127.0.0.1" not in text
    assert load(path).header.redacted


@pytest.mark.live
@pytest.mark.parametrize("path", CASSETTES, ids=_version)
def test_the_recorded_session_replays_byte_for_byte(path: Path) -> None:
    cassette = load(path)
    assert len(cassette.interactions) == len(PROBES)
    with live(Replayer([cassette], speed=0)) as server, httpx.Client(timeout=10) as client:
        for item in cassette.interactions:
            query = f"?{item.query}" if item.query else ""
            with client.stream(
                item.method, server.url + item.path + query, content=item.request_body
            ) as response:
                try:
                    body = response.read()
                except httpx.RemoteProtocolError:
                    assert not item.complete
                    continue
            assert (response.status_code, body) == (item.status, item.body), item.path


@pytest.mark.live
@pytest.mark.parametrize("path", CASSETTES, ids=_version)
def test_the_fake_answers_like_the_recorded_real_proxy(path: Path) -> None:
    cassette = load(path)
    real = {p.name: _answer(i) for p, i in zip(PROBES, cassette.interactions, strict=True)}
    with fake_stack(_version(path)) as (proxy, upstream):
        fake = run_probes(proxy.url, upstream)
    for answer in fake.values():
        answer["upstream_calls"] = 0
    assert differences(real, fake) == []

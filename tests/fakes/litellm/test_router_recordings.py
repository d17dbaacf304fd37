"""The real proxies' router answers (recordings/litellm/router-litellm-*.json, from
``python -m reference.litellm_conformance.router --record``): the fake LiteLLM in front of
the same fake vLLM replicas (one failing) answers every step with the same status, headers
and body values, and reaches the same replicas in the same order; the only differences
allowed are the ones listed beside each recording (``*.known.txt``)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from reference.litellm_conformance import _known
from reference.litellm_conformance._router_units import RUNS, Run
from reference.litellm_conformance.router import compare, fake_answers, path_for, read

ROOT = Path(__file__).parents[3] / "recordings" / "litellm"
RECORDINGS = sorted(ROOT.glob("router-*litellm-*.json"))
FAILOVER = [p for p in RECORDINGS if p.stem.startswith("router-litellm-")]


def _run_and_version(path: Path) -> tuple[Run, str]:
    head, _, version = path.stem.partition("litellm-")
    name = head.removeprefix("router-").removesuffix("-") or "failover"
    return RUNS[name], version


def test_every_run_is_recorded_for_both_release_lines() -> None:
    for run in RUNS:
        for version in ("1.110.2", "1.74.15.post2"):
            assert (ROOT / path_for(version, run).name).exists(), (run, version)
    assert [_run_and_version(p) for p in RECORDINGS]  # every file names a known run


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_no_key_address_or_machine_path_reached_the_recording(path: Path) -> None:
    known = ROOT / f"{path.stem}.known.txt"
    text = path.read_text() + (known.read_text() if known.exists() else "")
    assert "Str0ng-Master-Key" not in text and "127.0.0.1" not in text
    assert not re.search(r"/[^\s\"\\]*/site-packages/", text)


@pytest.mark.parametrize("path", FAILOVER, ids=lambda p: p.stem)
def test_the_recording_shows_retries_cooldown_and_fallback(path: Path) -> None:
    answers = read(path)
    first = answers[0]
    assert first["replicas"][0] == "a1"  # the failing replica is tried first, by weight
    fallback = next(a for a in answers if a["label"].startswith("solo:"))
    assert fallback["status"] == 200 and fallback["replicas"][-1] == "c2"


@pytest.mark.live
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_the_fake_routes_like_the_recorded_real_proxy(path: Path) -> None:
    run, version = _run_and_version(path)
    found = compare(read(path), fake_answers(run, version))
    known = _known.load(path)
    assert [line for line in found if line not in known] == [], "new differences"
    assert [line for line in known if line not in found] == [], "fixed: drop from known.txt"


def test_responses_are_routed_like_chat_on_1_110() -> None:
    """/v1/responses goes through the router too: retries on the failing replica, then the
    healthy one; a failing group falls back (the fake's routed responses follow this)."""
    answers = read(ROOT / path_for("1.110.2", "responses").name)
    assert answers[0]["status"] == 200 and answers[0]["replicas"] == ["a1", "a1", "b1"]
    fallback = next(a for a in answers if a["label"].startswith("responses to solo"))
    assert fallback["status"] == 200 and fallback["replicas"][-1] == "c2"
    assert dict(fallback["headers"])["x-litellm-attempted-fallbacks"] == "1"
    assert answers[-1]["status"] == 429 and answers[-1]["replicas"] == []


def test_the_keyed_health_probe_is_retried_by_the_openai_client_on_1_74_only() -> None:
    """1.74's probe is a plain litellm.acompletion whose openai client keeps its two retries;
    1.110's probe is sent once."""
    for version, attempts in (("1.74.15.post2", 3), ("1.110.2", 1)):
        health = next(
            a
            for a in read(ROOT / path_for(version).name)
            if a["label"] == "keyed /health of one group"
        )
        assert health["replicas"] == ["a1"] * attempts + ["b1"], version


def test_a_custom_auth_keys_limits_refuse_on_both_releases() -> None:
    """Run ``keys``: the limits a custom_auth function gives a key (no database) refuse the
    third request of an rpm_limit 2 key, the third of a tpm_limit 30 key, and one of two
    requests at once of a max_parallel_requests 1 key, each with its release's 429."""
    for version, wording in (
        ("1.110.2", "Rate limit exceeded for api_key: "),
        ("1.74.15.post2", "LiteLLM Rate Limit Handler for rate limit type = key."),
    ):
        answers = read(ROOT / path_for(version, "keys").name)
        statuses = {a["label"]: [] for a in answers}
        for answer in answers:
            statuses[answer["label"]].append(answer["status"])
        assert statuses["rpm_limit 2, #3"] == [429] and statuses["tpm_limit 30, #3"] == [429]
        assert sorted(statuses["max_parallel_requests 1: two at once"]) == [200, 429]
        assert statuses["max_parallel_requests 1: alone again"] == [200]
        refused = next(a for a in answers if a["label"] == "rpm_limit 2, #3")
        assert orjson.loads(refused["body"])["error"]["message"].startswith(wording), version
        assert refused["replicas"] == []  # refused before any deployment was called


def test_a_full_deployment_refuses_on_1_110_and_queues_on_1_74() -> None:
    """Run ``parallel``: two requests at once to a deployment with max_parallel_requests 1
    never reach its replica together; 1.110 refuses one with a 429, 1.74 answers both."""
    for version, statuses in (("1.110.2", [200, 429]), ("1.74.15.post2", [200, 200])):
        answers = read(ROOT / path_for(version, "parallel").name)
        both = [a for a in answers if a["label"].endswith("two at once")]
        assert sorted(a["status"] for a in both) == statuses, version
        assert all(a["peak"] == 1 for a in both), version


def test_latency_based_routing_tries_each_then_the_faster() -> None:
    """Run ``latency``: each deployment once (either order), then the one without a delay."""
    for version in ("1.110.2", "1.74.15.post2"):
        answers = read(ROOT / path_for(version, "latency").name)
        assert answers[0]["replicas"] == ["fast", "slow"], version
        assert [a["replicas"] for a in answers[2:]] == [["fast"]] * 3, version

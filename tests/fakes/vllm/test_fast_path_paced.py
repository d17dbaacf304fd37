"""Streams with the fake's timing (--ttft, --itl, --jitter) on the fast path and on the reference
path: the same bytes, the same framing (every ASGI message, and every token wait between them,
in order), the same waits, and the same left behind, for every vLLM profile. No real time
passes: the token sleeps (fakes.model.timing) are stood in for by a clock that a sleep moves
on, and each sleep is one turn of the event loop, as a real one is."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette

from fakes.http import capture
from fakes.model import timing
from fakes.model.timing import Pace, Timing
from fakes.profiles import Profile
from fakes.vllm import _engine, _routes
from fakes.vllm.fast import _dispatch
from tests._asgi_messages import http_scope, messages_sent, request_then_disconnect
from tests.fakes.vllm.test_fast_path import (
    CHAT,
    COMPLETIONS,
    PROFILE_LIST,
    RESPONSES,
    SCRIPTS,
    SETUPS,
    _app,
    _as_completion,
    _as_responses,
    _fast_middleware,
    _left_behind,
)

TIMING = Timing(ttft=5.0, itl=1.0)  # long: a busy machine never puts a stream behind schedule
PLAIN = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": True}
BODIES = [
    PLAIN,
    {**PLAIN, "stream_options": {"include_usage": True}},
    {**PLAIN, "stream_options": {"include_usage": True, "continuous_usage_stats": True}},
    {**PLAIN, "max_tokens": 3},
]
Schedule = list[tuple[str, Any]]


class _Pacing:
    """A clock that only a token sleep moves on, for the token sleeps and for the times both
    paths take (arrival, event offsets, metrics). Each sleep logs ``("wait", when it wakes)``
    into the same list as the app's ASGI messages (``("send", message)``), so the list is the
    stream's framing with its waits; ``firsts`` says, for each stream, whether its TTFT
    counted from the request's arrival (it did not wait for a slot)."""

    START = 1000.0

    def __init__(self) -> None:
        self.now = self.START
        self.log: Schedule = []
        self.firsts: list[bool] = []

    def monotonic(self) -> float:
        return self.now

    def restart(self) -> None:
        self.now = self.START
        self.log.clear()

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.log.append(("wait", self.now))
        await asyncio.sleep(0)


@pytest.fixture
def pacing(monkeypatch: pytest.MonkeyPatch) -> _Pacing:
    clock = _Pacing()
    monkeypatch.setattr(timing, "monotonic", clock.monotonic)
    monkeypatch.setattr(timing, "sleep", clock.sleep)
    for module in (_routes, _engine, _dispatch, capture):
        monkeypatch.setattr(module, "time", SimpleNamespace(monotonic=clock.monotonic))
    first_token = Pace.first_token

    async def spied(self: Pace, clock_: timing.Clock, since: float | None = None) -> None:
        clock.firsts.append(since is not None)
        await first_token(self, clock_, since)

    monkeypatch.setattr(Pace, "first_token", spied)
    return clock


def _scope(path: str, body: bytes) -> dict[str, Any]:
    headers = [
        (b"host", b"fake"),
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    return http_scope("POST", path, headers, ("fake", 80))


async def _exchange(
    app: Starlette, pacing: _Pacing, path: str, body: bytes, *, leave: int | None = None
) -> Schedule:
    """One request; its messages and waits, in order, in ``pacing.log``. ``leave``: the client
    leaves (its ``receive`` says ``http.disconnect``) once that many messages went out."""
    done = asyncio.Event()
    receive = request_then_disconnect(body, done)
    messages = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal messages
        pacing.log.append(("send", message))
        messages += 1
        if messages == leave or (
            message["type"] == "http.response.body" and not message.get("more_body", False)
        ):
            done.set()

    pacing.restart()
    await app(_scope(path, body), receive, send)
    done.set()
    return list(pacing.log)


def _framing(schedule: Schedule) -> list[Any]:
    """The schedule without the wake times (the messages as sent, each wait in its place)."""
    return ["wait" if kind == "wait" else item for kind, item in schedule]


def _ttfts(app: Starlette) -> list[str]:
    return [
        line
        for line in app.state.fake.metrics.render().decode().splitlines()
        if line.startswith(("vllm:time_to_first_token_seconds", "vllm:e2e_request_latency"))
        and "_created" not in line  # when the family was made: wall time
    ]


def _offsets(app: Starlette) -> list[float]:
    return [offset for offset, _ in app.state.fake.log.entries()[-1].chunks]


def _compare(
    fast: Starlette,
    reference: Starlette,
    pacing: _Pacing,
    path: str,
    body: bytes,
    *,
    jittered: bool = False,
) -> tuple[Schedule, bool]:
    """Both paths' schedules must be the same, waits and times included; returns the fast
    path's, and whether it answered the request itself."""

    async def run() -> tuple[Schedule, Schedule, bool]:
        before = _fast_middleware(fast).answered if fast.middleware_stack else 0
        got = await _exchange(fast, pacing, path, body)
        taken = _fast_middleware(fast).answered > before
        return got, await _exchange(reference, pacing, path, body), taken

    firsts = len(pacing.firsts)
    got, expected, taken = asyncio.run(run())
    assert got == expected
    assert _left_behind(fast) == _left_behind(reference)
    assert _offsets(fast) == _offsets(reference)  # each event logged at the time it went out
    assert _ttfts(fast) == _ttfts(reference)
    if taken:  # the TTFT counts from the request's arrival, each token from the last deadline
        assert pacing.firsts[firsts:] == [True, True]
        if not jittered:
            wakes = _wakes(got)
            assert wakes[0] == pacing.START + TIMING.ttft
            assert all(b - a == pytest.approx(TIMING.itl) for a, b in itertools.pairwise(wakes))
    return got, taken


def _wakes(schedule: Schedule) -> list[float]:
    return [when for kind, when in schedule if kind == "wait"]


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_every_profile_paces_the_same_stream_on_both_paths(
    profile: Profile, pacing: _Pacing
) -> None:
    taken = 0
    for script in ("none", "always", "reasoning, parser on"):
        setup = {"script": SCRIPTS[script], "timing": TIMING, **SETUPS.get(script, {})}
        fast, reference = _app(profile, fast=True, **setup), _app(profile, fast=False, **setup)
        for path in (CHAT, COMPLETIONS):
            for body in BODIES:
                raw = orjson.dumps(_as_completion(body) if path == COMPLETIONS else body)
                got, answered = _compare(fast, reference, pacing, path, raw)
                taken += answered
                if answered:  # a wait before each token's event, none before [DONE]
                    framing = _framing(got)
                    tokens = sum(m != "wait" and b'"choices"' in m["body"] for m in framing[1:])
                    assert framing.count("wait") == tokens - ("include_usage" in body)
    assert taken, profile.name  # the fast path paced some of them itself


def test_jitter_draws_the_same_waits_on_both_paths(pacing: _Pacing) -> None:
    profile = PROFILE_LIST[-1]
    jittered = Timing(ttft=5.0, itl=1.0, jitter=0.4, seed=7)
    fast, reference = (
        _app(profile, fast=True, timing=jittered),
        _app(profile, fast=False, timing=jittered),
    )
    got, answered = _compare(fast, reference, pacing, CHAT, orjson.dumps(PLAIN), jittered=True)
    gaps = [b - a for a, b in itertools.pairwise(_wakes(got))]
    assert answered and len(gaps) > 5
    assert max(abs(gap - 1.0) for gap in gaps) > 0.05  # the jitter showed, drawn alike


def test_a_stream_that_waited_for_its_slot_counts_its_ttft_from_the_slot(
    pacing: _Pacing,
) -> None:
    """--max-num-seqs 1 and two streams at once: the second waits for the first's slot, and its
    TTFT counts from when it got it (the reference engine loop's ``since``), on both paths."""
    profile = PROFILE_LIST[-1]
    raw = orjson.dumps(PLAIN)
    seen = []
    for fast in (True, False):
        app = _app(profile, fast=fast, timing=TIMING, max_num_seqs=1)

        async def two(app: Starlette = app) -> list[Schedule]:
            return list(
                await asyncio.gather(
                    _exchange_quiet(app, raw), _exchange_quiet(app, raw), return_exceptions=False
                )
            )

        start = len(pacing.firsts)
        pacing.restart()
        answers = asyncio.run(two())
        seen.append((pacing.firsts[start:], answers, _left_behind(app)))
        if fast:
            assert _fast_middleware(app).answered == 2
    assert seen[0] == seen[1]
    assert seen[0][0] == [True, False]


async def _exchange_quiet(app: Starlette, body: bytes) -> list[dict[str, Any]]:
    """One stream's messages (no waits: two streams interleave theirs)."""
    return await messages_sent(app, "POST", CHAT, body, _scope(CHAT, body)["headers"], ("fake", 80))


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_a_client_that_leaves_a_paced_stream_leaves_the_same_behind(
    profile: Profile, pacing: _Pacing
) -> None:
    """Left during the TTFT, after the first event, mid-stream, after the last event and after
    [DONE]: the reference path notices at once wherever it waits, and so does the fast path:
    the same messages, and the same log entry (not complete), no metrics, the slot given back."""
    raw = orjson.dumps(PLAIN)
    fast, reference = (
        _app(profile, fast=True, timing=TIMING),
        _app(profile, fast=False, timing=TIMING),
    )
    whole, answered = _compare(fast, reference, pacing, CHAT, raw)
    assert answered
    counted = _left_behind(fast)[1]  # the whole stream's metrics: no stream left adds to them
    messages = sum(kind == "send" for kind, _ in whole)  # start, events, [DONE], the last
    for leave in (1, 2, messages // 2, messages - 2, messages - 1):

        async def both(leave: int = leave) -> tuple[Schedule, Schedule]:
            got = await _exchange(fast, pacing, CHAT, raw, leave=leave)
            return got, await _exchange(reference, pacing, CHAT, raw, leave=leave)

        got, expected = asyncio.run(both())
        assert _framing(got) == _framing(expected), leave
        assert sum(kind == "send" for kind, _ in got) == leave
        behind = _left_behind(fast)
        assert behind == _left_behind(reference)
        logged, counters, _, running = behind
        assert logged[-1] is False and running == 0  # not complete; the slot given back
        assert len(logged[-2]) == leave - 1  # every event that went out, and no other
        assert counters == counted


async def _failing_send_exchange(app: Starlette, body: bytes, after: int) -> tuple[Any, ...]:
    """A stream whose ``send`` raises OSError from the ``after``-th message on."""
    sent: list[dict[str, Any]] = []
    receive = request_then_disconnect(body, asyncio.Event())  # never leaves: its send fails

    async def send(message: dict[str, Any]) -> None:
        if len(sent) + 1 >= after:
            raise OSError("the client left")
        sent.append(message)

    with pytest.raises(OSError, match="the client left"):
        await app(_scope(CHAT, body), receive, send)
    return tuple(sent)


def test_a_send_that_fails_ends_a_paced_stream_alike(pacing: _Pacing) -> None:
    """At the first event, mid-stream and at the last, empty message: the same messages went
    out, the same OSError reaches the server, the same log entry, the slot given back."""
    profile = PROFILE_LIST[-1]
    raw = orjson.dumps(PLAIN)
    messages = len(asyncio.run(_exchange_quiet(_app(profile, fast=False, timing=TIMING), raw)))
    for after in (2, messages // 2, messages):
        fast, reference = (
            _app(profile, fast=True, timing=TIMING),
            _app(profile, fast=False, timing=TIMING),
        )

        got = asyncio.run(_failing_send_exchange(fast, raw, after))
        expected = asyncio.run(_failing_send_exchange(reference, raw, after))
        assert _fast_middleware(fast).answered == 1
        assert got == expected and len(got) == after - 1
        behind = _left_behind(fast)
        assert behind == _left_behind(reference)
        # complete only when the last, empty message was the one that failed: the capture
        # middleware marks it before sending, as the fast path does
        assert behind[0][-1] is (after == messages) and behind[-1] == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHAT, {**PLAIN, "stream": False}),
        (COMPLETIONS, _as_completion({**PLAIN, "stream": False})),
        (RESPONSES, _as_responses(PLAIN)),
        (RESPONSES, _as_responses({**PLAIN, "stream": False})),
    ],
    ids=["chat", "completions", "responses stream", "responses"],
)
def test_timed_answers_the_fast_path_does_not_pace_go_to_the_reference_path(
    path: str, body: dict[str, Any], pacing: _Pacing
) -> None:
    """A timed plain answer (the reference path's wait_like_generation) and a timed
    /v1/responses stream (its TTFT counts from after the planning) are handed on."""
    profile = PROFILE_LIST[-1]
    fast, reference = (
        _app(profile, fast=True, timing=TIMING),
        _app(profile, fast=False, timing=TIMING),
    )
    got, answered = _compare(fast, reference, pacing, path, orjson.dumps(body))
    assert not answered
    framing = _framing(got)
    assert "wait" in framing
    assert [m["status"] for m in framing if m != "wait" and "status" in m] == [200]

"""Clients that leave mid-stream, read half an answer, stall or hang up early, by the
thousand, against live fakes with timing and a queue: the server returns to idle (no running
or waiting requests, every scheduler slot free, no extra tasks, no memory growth), through the
fake LiteLLM too, and through the recorder with nothing lost in the cassette."""

from __future__ import annotations

import asyncio
import logging
import threading
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fakes.http.server import LiveServer
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.model.script import Script
from fakes.model.timing import Timing
from fakes.record import Recorder, load
from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config
from tests.reliability._clients import storm
from tests.reliability._idle import no_more_tasks, traced, vllm_state, wait_idle
from tests.reliability.figures import FIGURES, NOTES

pytestmark = pytest.mark.live

MAX_NUM_SEQS = 16
LONG = " ".join(["stream"] * 150)  # long enough to fill a stalled client's buffers
BODY = {"model": "fake-model", "messages": [{"role": "user", "content": "long please"}]}
CHAT = "/v1/chat/completions"
MEMORY_BOUND = 1_500_000  # bytes of traced growth tolerated after a storm (allocator noise)


def _vllm(log_limit: int = 20) -> LiveServer:
    config = vllm_config(
        "0.9.2",
        timing=Timing(ttft=0.005, itl=0.0002),
        max_num_seqs=MAX_NUM_SEQS,
        log_limit=log_limit,
        script=Script.model_validate(
            {"rules": [{"match": {"contains": "long"}, "reply": {"text": LONG}}]}
        ),
    )
    return LiveServer(create_vllm_app(config))


@contextmanager
def peaks(server: LiveServer) -> Iterator[dict[str, int]]:
    """The most running and waiting requests seen while the block runs (sampled)."""
    scheduler = vllm_state(server).scheduler
    seen = {"running": 0, "waiting": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.002):
            seen["running"] = max(seen["running"], scheduler.running)
            seen["waiting"] = max(seen["waiting"], scheduler.waiting)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=5)


@contextmanager
def tracing() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No server error was logged, and nothing was written into a closed socket."""
    noisy = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR or "socket.send() raised" in r.getMessage()
    ]
    assert noisy == [], noisy[:5]


def test_a_thousand_rude_clients_leave_the_fake_vllm_idle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = _vllm().start()
    try:
        with tracing():
            warmup = asyncio.run(storm(server.url, CHAT, BODY, clients=100, concurrency=64))
            baseline = wait_idle({}, server)
            before = traced()
            with peaks(server) as peak:
                result = asyncio.run(
                    storm(server.url, CHAT, BODY, clients=1000, concurrency=64, seed=1)
                )
            after_idle = wait_idle(baseline.tasks, server)
            growth = traced() - before
    finally:
        server.stop()
    FIGURES["disconnect clients (fake vLLM)"] += warmup.clients + result.clients
    NOTES["disconnect storm memory growth (fake vLLM, traced)"] = f"{growth:,} bytes"
    assert result.errors == [], result.errors[:5]
    assert result.clients == 1000 and len(result.kinds) == 8, result.kinds
    assert result.completed_streams == result.kinds["complete"]
    assert peak["running"] == MAX_NUM_SEQS and peak["waiting"] > 0, peak  # the queue was used
    assert (after_idle.running, after_idle.waiting) == (0, 0)
    assert after_idle.slots_free == MAX_NUM_SEQS
    assert no_more_tasks(after_idle, baseline), (baseline.tasks, after_idle.tasks)
    assert growth < MEMORY_BOUND, f"memory grew by {growth:,} bytes"
    _quiet(caplog)


def _litellm(upstream: LiveServer) -> LiveServer:
    profile, release = resolve_litellm_profile("1.110.2", None)
    deployment = Deployment(
        "fake-model", "hosted_vllm", "fake-model", api_base=f"{upstream.url}/v1"
    )
    config = LitellmConfig(
        profile=profile, version=release, deployments=(deployment,), log_limit=20
    )
    return LiveServer(create_litellm_app(config))


def test_rude_clients_through_the_fake_litellm_leave_both_idle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    vllm = _vllm().start()
    proxy = _litellm(vllm).start()
    try:
        warmup = asyncio.run(storm(proxy.url, CHAT, BODY, clients=50, concurrency=48))
        baseline = wait_idle({}, vllm, proxy)
        result = asyncio.run(storm(proxy.url, CHAT, BODY, clients=250, concurrency=48, seed=2))
        after = wait_idle(baseline.tasks, vllm, proxy)
    finally:
        proxy.stop()
        vllm.stop()
    FIGURES["disconnect clients (through the fake LiteLLM)"] += warmup.clients + result.clients
    assert result.errors == [], result.errors[:5]
    assert result.completed_streams == result.kinds["complete"] > 0
    assert (after.running, after.waiting, after.slots_free) == (0, 0, MAX_NUM_SEQS)
    assert no_more_tasks(after, baseline), (baseline.tasks, after.tasks)
    _quiet(caplog)


def test_rude_clients_through_the_recorder_lose_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    vllm = _vllm(log_limit=5000).start()
    cassette = tmp_path / "storm.jsonl"
    recorder = LiveServer(
        Recorder(vllm.url, cassette), server_header=False, date_header=False
    ).start()
    try:
        result = asyncio.run(storm(recorder.url, CHAT, BODY, clients=150, concurrency=48, seed=3))

        def forwarded() -> int:  # what reached the upstream (not our /metrics scrapes)
            return sum(e.path == CHAT for e in vllm_state(vllm).log.entries())

        def caught_up() -> bool:
            return len(load(cassette).interactions) == forwarded()

        settled = asyncio.run(_settle(caught_up))
        after = wait_idle({}, vllm)
        sent_upstream = forwarded()
    finally:
        recorder.stop()
        vllm.stop()
    FIGURES["disconnect clients (through the recorder)"] += result.clients
    assert result.errors == [], result.errors[:5]
    assert settled, "the cassette fell behind the upstream"
    recorded = load(cassette).interactions  # a valid cassette, every line
    assert len(recorded) == sent_upstream > 0
    assert all(item.status == 200 and item.chunks for item in recorded)
    assert (after.running, after.waiting, after.slots_free) == (0, 0, MAX_NUM_SEQS)
    _quiet(caplog)


async def _settle(done: object, bound: float = 15.0) -> bool:
    assert callable(done)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound
    while not done():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True

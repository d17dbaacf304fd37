"""The soak (``make soak``): minutes of mixed traffic on loopback against the stack (a fake
vLLM with timing and a queue, the fake LiteLLM in front of it, a recorder beside it): plain
answers, streams, tools, faults, completions, scrapes and rude clients. Every request has an
expected outcome; anything else is an unexpected error. Memory must stay flat and the fakes
must be idle at the end.

SOAK_SECONDS (default 150) bounds the traffic; SOAK_WORKERS (default 24) the concurrency.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fakes.http.server import LiveServer
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.model.script import Script
from fakes.model.timing import Timing
from fakes.record import Recorder, load
from fakes.vllm import create_vllm_app
from tests.conftest import WEATHER_TOOLS, vllm_config
from tests.reliability._clients import KINDS, Storm, rude_client
from tests.reliability._idle import no_more_tasks, wait_idle
from tests.reliability.figures import FIGURES, NOTES

pytestmark = [pytest.mark.soak, pytest.mark.live]

SECONDS = float(os.environ.get("SOAK_SECONDS", "150"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "24"))
RECORDED_CAP = 40  # the recorder keeps (and rewrites) every exchange: reached during warm-up
RSS_GROWTH_BOUND = 32 * 1024 * 1024  # bytes from the end of warm-up to the end (arena slack)
HEAP_GROWTH_BOUND = 0.05  # live Python heap blocks, same span: a leak grows without bound
CHAT = "/v1/chat/completions"


def _memory() -> tuple[int, int]:
    """(RSS bytes, Python heap blocks in use after a collection): RSS includes allocator
    slack; the live block count is what a leak would grow."""
    gc.collect()
    return _rss(), sys.getallocatedblocks()


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "fake-model", "messages": [{"role": "user", "content": text}], **extra}


class Outcome(Exception):
    """An unexpected answer."""


async def _stream(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> bytes:
    async with client.stream("POST", path, json={**body, "stream": True}, **kw) as response:
        if response.status_code != 200:
            raise Outcome(
                f"stream status {response.status_code}: {(await response.aread())[:200]!r}"
            )
        return b"".join([chunk async for chunk in response.aiter_raw()])


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise Outcome(what)


class Soak:
    def __init__(self, vllm: LiveServer, proxy: LiveServer, recorder: LiveServer) -> None:
        self.vllm, self.proxy, self.recorder = vllm, proxy, recorder
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.recorded = 0
        self.rude = Storm()
        self.actions: list[
            tuple[str, int, Callable[[httpx.AsyncClient, random.Random], Awaitable[None]]]
        ] = [
            ("vllm plain", 10, self.plain),
            ("vllm stream", 10, self.stream),
            ("vllm tools", 6, self.tools),
            ("vllm completions", 4, self.completions),
            ("vllm fault http_error", 3, self.http_error),
            ("vllm fault error_frame", 3, self.error_frame),
            ("vllm fault cut", 3, self.cut),
            ("vllm bad request", 3, self.bad_request),
            ("litellm plain", 8, self.litellm_plain),
            ("litellm stream", 8, self.litellm_stream),
            ("litellm tools", 3, self.litellm_tools),
            ("scrape", 2, self.scrape),
            ("rude client (vllm)", 8, self.rude_vllm),
            ("rude client (litellm)", 4, self.rude_litellm),
            ("recorder", 4, self.record),
        ]

    async def plain(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        r = await client.post(
            f"{self.vllm.url}{CHAT}", json=_ask("hello", max_tokens=rng.randint(1, 30))
        )
        _expect(r.status_code == 200 and r.json()["choices"][0]["message"]["content"], r.text[:200])

    async def stream(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        options = {"stream_options": {"include_usage": True}} if rng.random() < 0.5 else {}
        data = await _stream(client, f"{self.vllm.url}{CHAT}", _ask("hi", **options))
        _expect(data.endswith(b"data: [DONE]\n\n"), f"no [DONE]: {data[-100:]!r}")
        _expect((b'"usage":{' in data) == bool(options), "usage where not asked / missing")

    async def tools(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        choice = rng.choice(["required", {"type": "function", "function": {"name": "get_weather"}}])
        body = _ask("weather in Paris?", tools=WEATHER_TOOLS, tool_choice=choice)
        if rng.random() < 0.5:
            data = await _stream(client, f"{self.vllm.url}{CHAT}", body)
            _expect(
                b"get_weather" in data and data.endswith(b"data: [DONE]\n\n"), data[-200:].decode()
            )
        else:
            r = await client.post(f"{self.vllm.url}{CHAT}", json=body)
            calls = (
                r.json()["choices"][0]["message"]["tool_calls"] if r.status_code == 200 else None
            )
            _expect(bool(calls) and calls[0]["function"]["name"] == "get_weather", r.text[:200])

    async def completions(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        body = {"model": "fake-model", "prompt": "Say", "max_tokens": 8}
        if rng.random() < 0.5:
            data = await _stream(client, f"{self.vllm.url}/v1/completions", body)
            _expect(data.endswith(b"data: [DONE]\n\n"), data[-100:].decode())
        else:
            r = await client.post(f"{self.vllm.url}/v1/completions", json=body)
            _expect(r.status_code == 200 and r.json()["choices"][0]["text"], r.text[:200])

    async def http_error(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        status = rng.choice([429, 500, 503])
        r = await client.post(
            f"{self.vllm.url}{CHAT}",
            json=_ask("hi"),
            headers={"x-fake-fault": f"http_error; status={status}"},
        )
        _expect(r.status_code == status and r.json()["code"] == status, r.text[:200])

    async def error_frame(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        data = await _stream(
            client,
            f"{self.vllm.url}{CHAT}",
            _ask("hi"),
            headers={"x-fake-fault": "error_frame; after_chunks=2"},
        )
        _expect(b'"error"' in data and data.endswith(b"data: [DONE]\n\n"), data[-200:].decode())

    async def cut(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        try:
            await _stream(
                client,
                f"{self.vllm.url}{CHAT}",
                _ask("hi"),
                headers={"x-fake-fault": "cut; after_chunks=2"},
            )
        except httpx.RemoteProtocolError:
            return
        raise Outcome("a cut stream ended normally")

    async def bad_request(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        body = rng.choice([_ask("hi", max_tokens=-1), {"messages": "nope"}, _ask("hi", n="x")])
        r = await client.post(f"{self.vllm.url}{CHAT}", json=body)
        _expect(r.status_code == 400 and r.json()["object"] == "error", r.text[:200])

    async def litellm_plain(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        r = await client.post(f"{self.proxy.url}{CHAT}", json=_ask("hello"))
        _expect(r.status_code == 200 and r.json()["choices"][0]["message"]["content"], r.text[:200])

    async def litellm_stream(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        usage = rng.random() < 0.5
        options = {"stream_options": {"include_usage": True}} if usage else {}
        data = await _stream(client, f"{self.proxy.url}/v1/chat/completions", _ask("hi", **options))
        _expect(data.rstrip().endswith(b"data: [DONE]"), data[-100:].decode())
        _expect((b'"usage":{' in data) == usage, "usage where not asked / missing")

    async def litellm_tools(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        body = _ask("weather?", tools=WEATHER_TOOLS, tool_choice="required")
        data = await _stream(client, f"{self.proxy.url}{CHAT}", body)
        _expect(b"get_weather" in data, data[-200:].decode())

    async def scrape(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        for path in ("/metrics", "/health", "/v1/models", "/version"):
            r = await client.get(f"{self.vllm.url}{path}")
            _expect(r.status_code == 200, f"{path}: {r.status_code}")

    async def rude_vllm(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        kind = rng.choice(KINDS)
        await rude_client(kind, self.vllm.url, CHAT, _ask("long please"), rng, self.rude)
        self.rude.clients += 1

    async def rude_litellm(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        kind = rng.choice(KINDS)
        await rude_client(kind, self.proxy.url, CHAT, _ask("hi"), rng, self.rude)
        self.rude.clients += 1

    async def record(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        if self.recorded >= RECORDED_CAP:
            return await self.plain(client, rng)
        self.recorded += 1
        if rng.random() < 0.5:
            data = await _stream(client, f"{self.recorder.url}{CHAT}", _ask("hi"))
            _expect(data.endswith(b"data: [DONE]\n\n"), data[-100:].decode())
        else:
            r = await client.post(f"{self.recorder.url}{CHAT}", json=_ask("hi"))
            _expect(r.status_code == 200, r.text[:200])
        return None

    async def worker(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        names = [a[0] for a in self.actions]
        weights = [a[1] for a in self.actions]
        handlers = {a[0]: a[2] for a in self.actions}
        async with httpx.AsyncClient(timeout=30) as client:
            while time.monotonic() < until:
                name = rng.choices(names, weights)[0]
                try:
                    await asyncio.wait_for(handlers[name](client, rng), 30)
                except (
                    Outcome,
                    httpx.HTTPError,
                    KeyError,
                    TypeError,
                    orjson.JSONDecodeError,
                ) as exc:
                    self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                except TimeoutError:
                    self.errors.append(f"{name}: no answer in 30 s")
                self.counts[name] += 1

    async def run(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        await asyncio.gather(*(self.worker(seed, until) for seed in range(WORKERS)))


def test_soak(tmp_path: Path) -> None:
    script = Script.model_validate(
        {"rules": [{"match": {"contains": "long"}, "reply": {"text": " ".join(["soak"] * 150)}}]}
    )
    config = vllm_config(
        "0.9.2",
        timing=Timing(ttft=0.002, itl=0.0005, jitter=0.0002, seed=1),
        max_num_seqs=16,
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
        script=script,
        log_limit=200,
    )
    vllm = LiveServer(create_vllm_app(config)).start()
    profile, release = resolve_litellm_profile("1.110.2", None)
    deployment = Deployment("fake-model", "hosted_vllm", "fake-model", api_base=f"{vllm.url}/v1")
    litellm = LitellmConfig(
        profile=profile, version=release, deployments=(deployment,), log_limit=200
    )
    proxy = LiveServer(create_litellm_app(litellm)).start()
    cassette = tmp_path / "soak.jsonl"
    recorder = LiveServer(
        Recorder(vllm.url, cassette), server_header=False, date_header=False
    ).start()
    soak = Soak(vllm, proxy, recorder)
    samples: list[tuple[float, int, int]] = []
    try:
        # warm-up fills what is bounded by design (request logs, the recorder's cassette)
        warmup = min(30.0, SECONDS / 4)
        started = time.monotonic()
        asyncio.run(soak.run(warmup))
        baseline = wait_idle({}, vllm, proxy, recorder)
        samples.append((time.monotonic() - started, *_memory()))

        async def run_and_sample() -> None:
            task = asyncio.ensure_future(soak.run(SECONDS - warmup))
            while not task.done():
                await asyncio.sleep(min(15.0, SECONDS / 10))
                samples.append((time.monotonic() - started, *_memory()))
            await task

        asyncio.run(run_and_sample())
        duration = time.monotonic() - started
        after = wait_idle(baseline.tasks, vllm, proxy, recorder)
        samples.append((time.monotonic() - started, *_memory()))
        recorded = load(cassette).interactions
    finally:
        recorder.stop()
        proxy.stop()
        vllm.stop()
    requests = sum(soak.counts.values())
    growth = samples[-1][1] - samples[0][1]
    blocks = samples[-1][2] / samples[0][2] - 1
    FIGURES["soak requests"] += requests
    FIGURES["soak unexpected errors"] += len(soak.errors)
    FIGURES["soak rude clients"] += soak.rude.clients
    NOTES["soak duration"] = f"{duration:.0f} s, {WORKERS} workers"
    NOTES["soak memory over time (s: RSS MB / heap blocks)"] = ", ".join(
        f"{t:.0f}: {r / 2**20:.1f}/{b:,}" for t, r, b in samples
    )
    NOTES["soak memory growth after warm-up"] = (
        f"RSS {growth / 2**20:+.1f} MB, live heap blocks {blocks:+.1%}"
    )
    NOTES["soak mix"] = ", ".join(f"{k} {v}" for k, v in sorted(soak.counts.items()))
    assert soak.errors == [], soak.errors[:10]
    assert soak.rude.errors == [], soak.rude.errors[:10]
    assert len(recorded) == min(soak.recorded, RECORDED_CAP)
    assert (after.running, after.waiting, after.slots_free) == (0, 0, 16)
    assert no_more_tasks(after, baseline), (baseline.tasks, after.tasks)
    assert growth < RSS_GROWTH_BOUND, NOTES["soak memory over time (s: RSS MB / heap blocks)"]
    assert blocks < HEAP_GROWTH_BOUND, NOTES["soak memory over time (s: RSS MB / heap blocks)"]

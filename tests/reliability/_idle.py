"""Is a live fake back to idle? Scheduler slots, /metrics gauges, event-loop tasks, memory."""

from __future__ import annotations

import gc
import re
import time
import tracemalloc
from dataclasses import dataclass

import httpx

from fakes.http.server import LiveServer
from fakes.vllm._state import VllmState

_GAUGE = r"^{name}\{{[^}}]*\}} (\S+)$"


def gauge(metrics: str, name: str) -> float:
    values = [float(v) for v in re.findall(_GAUGE.format(name=name), metrics, re.M)]
    return sum(values)


@dataclass
class Idle:
    running: float
    waiting: float
    slots_free: int
    tasks: dict[str, int]


def vllm_state(server: LiveServer) -> VllmState:
    state: VllmState = server.app.state.fake  # type: ignore[attr-defined]
    return state


def snapshot(vllm: LiveServer, *others: LiveServer) -> Idle:
    metrics = httpx.get(f"{vllm.url}/metrics", timeout=10).text
    scheduler = vllm_state(vllm).scheduler
    return Idle(
        running=gauge(metrics, "vllm:num_requests_running"),
        waiting=gauge(metrics, "vllm:num_requests_waiting"),
        slots_free=scheduler._slots._value,
        tasks={s.url: s.tasks() for s in (vllm, *others)},
    )


def wait_idle(baseline: dict[str, int], vllm: LiveServer, *others: LiveServer) -> Idle:
    """Poll (bounded) until the fake is idle again; the last snapshot either way. With no
    baseline, the task counts are the fewest seen over a few polls (a scrape's own
    connection may still be closing)."""
    max_seqs = vllm_state(vllm).scheduler.max_num_seqs
    deadline = time.monotonic() + 15
    while True:
        now = snapshot(vllm, *others)
        idle = (
            now.running == 0
            and now.waiting == 0
            and now.slots_free == max_seqs
            and all(now.tasks[url] <= count for url, count in baseline.items())
        )
        if idle or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not baseline:
        for _ in range(5):
            time.sleep(0.05)
            counts = {s.url: s.tasks() for s in (vllm, *others)}
            now.tasks = {url: min(now.tasks[url], counts[url]) for url in counts}
    return now


def no_more_tasks(after: Idle, before: Idle) -> bool:
    return all(after.tasks[url] <= count for url, count in before.tasks.items())


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]

"""Latency and load: time to first token, inter-token latency, seeded jitter, a bounded
number of running sequences with a waiting queue (vLLM's ``--max-num-seqs``)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import BaseModel, ConfigDict, Field


class Timing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ttft: float = Field(default=0.0, ge=0, le=600, description="seconds before the first token")
    itl: float = Field(default=0.0, ge=0, le=60, description="seconds between tokens")
    jitter: float = Field(default=0.0, ge=0, le=60, description="uniform +/- seconds on each delay")
    seed: int = 0

    @property
    def instant(self) -> bool:
        return self.ttft == 0 and self.itl == 0 and self.jitter == 0


class Clock:
    """Turns a Timing into concrete sleeps, with its own seeded random stream."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self._random = random.Random(timing.seed)

    def _jittered(self, base: float) -> float:
        if self.timing.jitter:
            base += self._random.uniform(-self.timing.jitter, self.timing.jitter)
        return max(base, 0.0)

    async def first_token(self) -> None:
        if not self.timing.instant:
            await asyncio.sleep(self._jittered(self.timing.ttft))

    async def next_token(self) -> None:
        if not self.timing.instant:
            await asyncio.sleep(self._jittered(self.timing.itl))


class Scheduler:
    """At most ``max_num_seqs`` requests run; the rest wait in arrival order."""

    def __init__(self, max_num_seqs: int) -> None:
        if max_num_seqs < 1:
            raise ValueError("max_num_seqs must be at least 1")
        self.max_num_seqs = max_num_seqs
        self._slots = asyncio.Semaphore(max_num_seqs)
        self.running = 0
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()

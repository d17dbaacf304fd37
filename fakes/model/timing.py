"""Latency and load: time to first token, inter-token latency, seeded jitter, a bounded
number of running sequences with a waiting queue (vLLM's ``--max-num-seqs``)."""

from __future__ import annotations

import asyncio
import random
from asyncio import sleep
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import monotonic

from pydantic import BaseModel, ConfigDict, Field

# The largest value of each delay, in seconds (the command line's options check them too)
TIMING_LIMITS = {"ttft": 600.0, "itl": 60.0, "jitter": 60.0}


class Timing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # see timing_of

    ttft: float = Field(
        default=0.0, ge=0, le=TIMING_LIMITS["ttft"], description="seconds before the first token"
    )
    itl: float = Field(
        default=0.0, ge=0, le=TIMING_LIMITS["itl"], description="seconds between tokens"
    )
    jitter: float = Field(
        default=0.0,
        ge=0,
        le=TIMING_LIMITS["jitter"],
        description="uniform +/- seconds on each delay",
    )
    seed: int = 0

    @property
    def instant(self) -> bool:
        return self.ttft == 0 and self.itl == 0 and self.jitter == 0


def timing_of(ttft: float, itl: float, jitter: float, seed: int) -> Timing:
    """``Timing(...)``, less the validation where every value is the default (valid as it is):
    a start-up without timing options then builds no schema (start-up time is a benchmark row)."""
    if (ttft, itl, jitter, seed) == (0.0, 0.0, 0.0, 0):
        return Timing.model_construct()
    return Timing(ttft=ttft, itl=itl, jitter=jitter, seed=seed)


class Lateness:
    """How late a sleep wakes on this loop, on average, up to one timer tick (uvloop's timers
    count whole milliseconds: measured +1.1 ms on a 50 ms TTFT). Sleeps aim that much early."""

    TICK = 0.001

    def __init__(self) -> None:
        self.value = 0.0

    def observe(self, late: float) -> None:
        self.value += 0.05 * (min(max(late, 0.0), self.TICK) - self.value)


class Clock:
    """A Timing with its own seeded random stream for jitter; streams pace with ``Pace``."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self._random = random.Random(timing.seed)
        self.lateness = Lateness()

    def jittered(self, base: float) -> float:
        if self.timing.jitter:
            base += self._random.uniform(-self.timing.jitter, self.timing.jitter)
        return max(base, 0.0)


class Pace:
    """One stream's token deadlines. Each delay counts from the previous deadline, not from
    when the previous sleep happened to end, so event-loop overhead never accumulates over a
    stream (measured: +0.3 ms per token, 12 ms per queueing wave, before this)."""

    __slots__ = ("_due",)  # one per open stream

    def __init__(self) -> None:
        self._due: float | None = None

    def restart(self) -> None:
        """The next delay counts from now (after a stall the stream picks up from there)."""
        self._due = None

    async def first_token(self, clock: Clock, since: float | None = None) -> None:
        """``since``: when the request arrived (``time.monotonic()``), if it went straight to
        generation; the time spent parsing and planning it then counts towards the TTFT."""
        self._due = since
        await self._after(clock, clock.timing.ttft)

    async def next_token(self, clock: Clock) -> None:
        await self._after(clock, clock.timing.itl)

    async def _after(self, clock: Clock, base: float) -> None:
        if clock.timing.instant:
            return
        # time.monotonic(), not loop.time(): uvloop's is cached per loop pass in whole ms
        now = monotonic()
        self._due = (now if self._due is None else self._due) + clock.jittered(base)
        aim = self._due - clock.lateness.value
        if aim > now:
            await sleep(aim - now)
            clock.lateness.observe(monotonic() - aim)
        else:  # behind schedule (an overloaded loop): yield, but do not sleep again
            await sleep(0)


class Scheduler:
    """At most ``max_num_seqs`` requests run; the rest wait in arrival order."""

    def __init__(self, max_num_seqs: int) -> None:
        if max_num_seqs < 1:
            raise ValueError("max_num_seqs must be at least 1")
        self.max_num_seqs = max_num_seqs
        self._slots = asyncio.Semaphore(max_num_seqs)
        self.running = 0
        self.waiting = 0

    async def acquire(self) -> bool:
        """Takes a slot, once one is free; whether the request had to wait for it. The caller
        gives it back with ``release`` (``slot`` does both; an open stream on the fast path
        holds no context manager and its generator)."""
        waited = self._slots.locked()
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        return waited

    def release(self) -> None:
        self.running -= 1
        self._slots.release()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[bool]:
        """Yields whether the request had to wait for its slot."""
        waited = await self.acquire()
        try:
            yield waited
        finally:
            self.release()

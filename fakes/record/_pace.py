"""Recorded chunks played back at their recorded offsets (divided by ``speed``; 0: at once).

One schedule for the replay server and the in-process transports. Each delay counts from
when the answer started, so a late wake-up never pushes the later chunks back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from time import monotonic

from anyio import sleep

from fakes.record._cassette import Chunk


async def paced(chunks: Iterable[Chunk], speed: float) -> AsyncIterator[bytes]:
    started = monotonic()
    for chunk in chunks:
        if speed > 0:
            delay = started + chunk.offset / speed - monotonic()
            if delay > 0:
                await sleep(delay)
        yield chunk.data

"""An event stream ends quietly when its client leaves, and only then: a cancel from outside
(a server shutting down) still reaches the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.http.requestlog import Chunks


class _Client:
    """Receives the body and says when it leaves (``http.disconnect``)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.leave = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def _events(log: list[str], count: int | None, cut: bool = False) -> AsyncGenerator[bytes | _Cut]:
    async def events() -> AsyncGenerator[bytes | _Cut]:
        try:
            n = 0
            while count is None or n < count:
                yield f"data: {n}\n\n".encode()
                n += 1
                await asyncio.sleep(0)
            if cut:
                yield CUT
        finally:
            log.append("closed")

    return events()


async def _respond(client: _Client, events: AsyncGenerator[bytes | _Cut], log: list[str]) -> None:
    response = EventStreamResponse(events, on_close=lambda: log.append("on_close"))
    await response({"type": "http"}, client.receive, client.send)


async def test_a_finished_stream_ends_its_body() -> None:
    client, log = _Client(), []
    await _respond(client, _events(log, 3), log)
    bodies = [m.get("body") for m in client.sent if m["type"] == "http.response.body"]
    assert bodies == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n", b""]
    assert client.sent[-1]["more_body"] is False
    assert log == ["closed", "on_close"]


async def test_a_cut_leaves_the_body_unfinished() -> None:
    client, log = _Client(), []
    await _respond(client, _events(log, 2, cut=True), log)
    assert all(m.get("more_body", True) for m in client.sent)  # no final, empty body
    assert log == ["closed", "on_close"]


async def test_a_client_that_leaves_ends_the_endless_stream_quietly() -> None:
    client, log = _Client(), []
    task = asyncio.ensure_future(_respond(client, _events(log, None), log))
    while len(client.sent) < 5:
        await asyncio.sleep(0)
    client.leave.set()
    await asyncio.wait_for(task, 5)  # returns, no CancelledError
    assert not task.cancelled()
    assert log == ["closed", "on_close"]


async def test_a_cancel_from_outside_still_cancels() -> None:
    client, log = _Client(), []
    task = asyncio.ensure_future(_respond(client, _events(log, None), log))
    while len(client.sent) < 5:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["closed", "on_close"]


def test_chunks_read_as_offset_and_bytes_pairs() -> None:
    pairs = [(0.0, b"a"), (0.125, b"bc"), (1e-7, b"")]
    chunks = Chunks(pairs)
    chunks.append((2.5, b"d"))
    assert list(chunks) == [*pairs, (2.5, b"d")]
    assert chunks[1] == (0.125, b"bc") and chunks[-1] == (2.5, b"d")
    assert len(chunks) == 4 and chunks == [*pairs, (2.5, b"d")]
    assert not Chunks()

"""The in-process transports stream, and fail the way a real socket does."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import anyio
import httpx
import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.transports.streaming import StreamingASGITransport
from fakes.transports.streaming_httpx2 import StreamingASGITransport2


def _app(*pieces: bytes | _Cut, pause: float = 0.0) -> object:
    async def events() -> AsyncGenerator[bytes | _Cut, None]:
        for piece in pieces:
            if pause:
                await anyio.sleep(pause)
            yield piece

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await EventStreamResponse(events())(scope, receive, send)

    return app


async def test_chunks_arrive_one_by_one() -> None:
    transport = StreamingASGITransport(_app(b"data: 1\n\n", b"data: 2\n\n"))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("POST", "http://fake/x") as response:
            assert [chunk async for chunk in response.aiter_raw()] == [
                b"data: 1\n\n",
                b"data: 2\n\n",
            ]


async def test_a_cut_is_a_remote_protocol_error_after_the_first_bytes() -> None:
    transport = StreamingASGITransport(_app(b"data: 1\n\n", CUT))  # type: ignore[arg-type]
    received = []
    async with httpx.AsyncClient(transport=transport) as client:
        async with client.stream("POST", "http://fake/x") as response:
            with pytest.raises(httpx.RemoteProtocolError):
                async for chunk in response.aiter_raw():
                    received.append(chunk)
    assert received == [b"data: 1\n\n"]


async def test_a_stall_is_a_read_timeout_not_a_hang() -> None:
    transport = StreamingASGITransport(_app(b"data: 1\n\n", b"data: 2\n\n", pause=5))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, timeout=0.2) as client:
        with anyio.fail_after(3):
            with pytest.raises(httpx.ReadTimeout):
                async with client.stream("POST", "http://fake/x") as response:
                    await response.aread()


async def test_an_app_that_raises_before_answering_is_a_plain_500() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(transport=StreamingASGITransport(broken)) as client:
        response = await client.get("http://fake/x")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


async def test_httpx2_clients_get_the_same_behaviour() -> None:
    transport = StreamingASGITransport2(_app(b"data: 1\n\n", CUT))  # type: ignore[arg-type]
    async with httpx2.AsyncClient(transport=transport) as client:
        async with client.stream("POST", "http://fake/x") as response:
            with pytest.raises(httpx2.RemoteProtocolError):
                await response.aread()


async def test_closing_early_ends_the_app() -> None:
    finished = anyio.Event()

    async def endless() -> AsyncGenerator[bytes, None]:
        try:
            while True:
                yield b"data: x\n\n"
                await anyio.sleep(0.001)
        finally:
            finished.set()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await EventStreamResponse(endless())(scope, receive, send)

    async with httpx.AsyncClient(transport=StreamingASGITransport(app)) as client:
        async with client.stream("POST", "http://fake/x") as response:
            async for _ in response.aiter_raw():
                break
    with anyio.fail_after(2):
        await finished.wait()

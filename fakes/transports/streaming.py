"""An httpx transport that runs an ASGI app (a fake) in-process and streams its response.

httpx's own ASGITransport waits for the whole body and asserts the response completed
(encode/httpx #2186), so a stall hangs and a cut connection is an AssertionError. These
transports hand each body message to the client as it is sent, raise the client library's
``ReadTimeout`` on a stall longer than the read timeout, and its ``RemoteProtocolError``
when the app ends without completing the body, as a real socket would.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
from starlette.types import ASGIApp, Message

if TYPE_CHECKING:
    import httpx2

_END = object()
# what httpx says when a real server drops a chunked response
CUT_MESSAGE = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)


class _AppCall:
    """One request to the app: the app runs as a task and its messages go through a queue."""

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body: bytes) -> None:
        self._body: bytes | None = body
        self._done = asyncio.Event()
        self._queue: asyncio.Queue[Message | object] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(app, scope))

    async def _receive(self) -> Message:
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._done.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        await self._queue.put(message)

    async def _run(self, app: ASGIApp, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self._receive, self._send)
        except Exception as exc:
            await self._queue.put(exc)
        finally:
            await self._queue.put(_END)

    async def next(self, timeout: float | None) -> Message | object:
        if not self._queue.empty():  # no timer and no task for a message already waiting
            return self._queue.get_nowait()
        return await asyncio.wait_for(self._queue.get(), timeout)

    async def close(self) -> None:
        self._done.set()
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def _scope(request: httpx.Request | httpx2.Request) -> dict[str, Any]:
    url = request.url
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
    }


def _read_timeout(request: httpx.Request | httpx2.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) and not math.isinf(value) else None


async def _start(
    app: ASGIApp, request: httpx.Request | httpx2.Request, errors: ModuleType
) -> tuple[int, list[tuple[bytes, bytes]], AsyncIterator[bytes], _AppCall]:
    body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]
    call = _AppCall(app, _scope(request), body)
    timeout = _read_timeout(request)
    try:
        message = await call.next(timeout)
    except TimeoutError:
        await call.close()
        raise errors.ReadTimeout("the app sent no response in time", request=request) from None
    if isinstance(message, Exception) or message is _END:
        # uvicorn answers an app that failed before responding with a plain 500
        await call.close()
        text = b"Internal Server Error"
        return 500, [(b"content-type", b"text/plain; charset=utf-8")], _once(text), call
    assert isinstance(message, dict) and message["type"] == "http.response.start"
    return message["status"], list(message.get("headers", [])), _body(call, request, errors), call


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _body(
    call: _AppCall, request: httpx.Request | httpx2.Request, errors: ModuleType
) -> AsyncIterator[bytes]:
    timeout = _read_timeout(request)
    while True:
        try:
            message = await call.next(timeout)
        except TimeoutError:
            raise errors.ReadTimeout("the app stalled", request=request) from None
        if isinstance(message, dict) and message["type"] == "http.response.body":
            if chunk := message.get("body", b""):
                yield chunk
            if not message.get("more_body", False):
                return
            continue
        raise errors.RemoteProtocolError(CUT_MESSAGE, request=request)


class _AppBody:
    """The app's body chunks; closing it ends the app call (for either library's stream)."""

    def __init__(self, chunks: AsyncIterator[bytes], call: _AppCall) -> None:
        self._chunks, self._call = chunks, call

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        await self._call.close()


class _HttpxStream(_AppBody, httpx.AsyncByteStream):
    pass


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """For httpx clients: ``httpx.AsyncClient(transport=StreamingASGITransport(app))``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        status, headers, chunks, call = await _start(self.app, request, httpx)
        return httpx.Response(status, headers=headers, stream=_HttpxStream(chunks, call))

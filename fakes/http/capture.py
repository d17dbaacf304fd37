"""Pure-ASGI middleware that logs each exchange and enforces a request body limit.

Stream bytes pass through untouched; each chunk is kept with its time offset.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.http.requestlog import RequestLog

TooLarge = Callable[[int], ASGIApp]
DEFAULT_MAX_BODY = 32 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, ``None`` if the client left first; past ``limit`` bytes
    ``BodyTooLarge`` (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


def right_sized(body: bytes) -> bytes:
    """A copy of ``body`` that holds only its own bytes, for what the log keeps of a whole
    answer sent at once. Such an answer is mostly ``orjson.dumps``'s bytes, which keep the
    buffer orjson wrote into: 16 KB behind a 1.3 KB answer (orjson 3.12 on; the bytes'
    length is right, their allocation is not, and it is never shrunk). A stream's events are
    framed into new bytes already."""
    return bytes(memoryview(body))


def replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the client's messages."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def log_exchange(
    log: RequestLog, scope: Scope, body: bytes, send: Send
) -> tuple[Send, Callable[[], None]]:
    """Opens the log entry of one exchange: a send that records the answer as it goes out
    (status, headers as sent, each chunk with its time offset), and what closes the entry."""
    start = time.monotonic()
    entry = log.start(
        scope["method"],
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        scope.get("headers", []),
        body,
    )

    async def record(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            entry.status = message["status"]
            entry.raw_response_headers = list(message.get("headers", []))
            log.updated(entry)
        elif kind == "http.response.body":
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if chunk:
                if not more and not entry.chunks:
                    chunk = right_sized(chunk)
                entry.chunks.append((time.monotonic() - start, chunk))
            if not more:
                entry.complete = True
        await send(message)

    def finished() -> None:
        entry.finished = entry.started + (time.monotonic() - start)
        log.updated(entry)

    return record, finished


def _control_too_large(message: str) -> ASGIApp:
    return Response(orjson.dumps({"detail": message}), 413, media_type="application/json")


class CaptureMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        log: Callable[[], RequestLog],
        *,
        max_body: int,
        too_large: TooLarge,
        skip_prefix: str = "/_fake",
    ) -> None:
        self.app = app
        self.log = log
        self.max_body = max_body
        self.too_large = too_large
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.max_body)
        except BodyTooLarge:
            if scope["path"].startswith(self.skip_prefix):
                message = f"body exceeds the fake's limit of {self.max_body} bytes"
                await _control_too_large(message)(scope, receive, send)
            else:
                await self.too_large(self.max_body)(scope, receive, send)
            return
        if body is None:
            return
        if scope["path"].startswith(self.skip_prefix):  # the control plane: limited, not logged
            await self.app(scope, replaying(body, receive), send)
            return
        record, finished = log_exchange(self.log(), scope, body, send)
        try:
            await self.app(scope, replaying(body, receive), record)
        finally:
            finished()

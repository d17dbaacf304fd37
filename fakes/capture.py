"""Pure-ASGI middleware that logs each exchange and enforces a request body limit.

Stream bytes pass through untouched; each chunk is kept with its time offset.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.requestlog import RequestLog

TooLarge = Callable[[int], ASGIApp]


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
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await self.too_large(self.max_body)(scope, receive, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        start = time.monotonic()
        log = self.log()
        entry = log.start(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            scope.get("headers", []),
            body,
        )
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def record(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])
                }
                log.updated(entry)
            elif kind == "http.response.body":
                chunk = message.get("body", b"")
                if chunk:
                    entry.chunks.append((time.monotonic() - start, chunk))
                if not message.get("more_body", False):
                    entry.complete = True
            await send(message)

        try:
            await self.app(scope, replay, record)
        finally:
            entry.finished = entry.started + (time.monotonic() - start)
            log.updated(entry)

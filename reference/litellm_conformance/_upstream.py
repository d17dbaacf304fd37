"""What each unit's fake vLLM answered the real proxy, kept with the recording and served
again to the fake LiteLLM: the comparison then holds whatever the fake vLLM becomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.http.capture import CaptureMiddleware
from fakes.http.eventstream import CUT, EventStreamResponse
from fakes.http.requestlog import RequestLog

# uvicorn writes these itself
_OWN_HEADERS = {"date", "server", "transfer-encoding"}
_LIMIT = 32 * 1024 * 1024


# 1.74 reads an upstream through aiohttp, whose StreamReader raises the connection's end before
# it hands out what it has buffered, and litellm 1.74.15's transport then ends the stream as if
# complete (llms/custom_httpx/aiohttp_transport.py:88-94): chunks that arrive together with the
# close are lost, as many as the scheduling decides (seen: none, one, all). A crashed server's
# close comes after its last write; the real proxy's upstream pauses before it cuts, so that the
# proxy has read what was written and a run is repeatable.
CUT_PAUSE = 1.0


def _paced_cuts(app: ASGIApp) -> ASGIApp:
    async def paced(scope: Scope, receive: Receive, send: Send) -> None:
        started = finished = False

        async def watching(message: Message) -> None:
            nonlocal started, finished
            started |= message["type"] == "http.response.start"
            body = message["type"] == "http.response.body"
            finished |= body and not message.get("more_body", False)
            await send(message)

        await app(scope, receive, watching)
        if started and not finished:
            await asyncio.sleep(CUT_PAUSE)

    return paced


def capturing(app: ASGIApp, log: RequestLog) -> ASGIApp:
    def too_large(limit: int) -> ASGIApp:
        raise AssertionError(f"an upstream request over {limit} bytes")

    captured = CaptureMiddleware(app, log=lambda: log, max_body=_LIMIT, too_large=too_large)
    return _paced_cuts(captured)


def exchanges(log: RequestLog) -> list[dict[str, Any]]:
    """A unit's upstream answers, in the order the real proxy asked for them."""
    return [
        {
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            "headers": [[k, v] for k, v in entry.response_headers.items()],
            "chunks": [chunk.decode("utf-8", "surrogateescape") for _, chunk in entry.chunks],
            "complete": entry.complete,
        }
        for entry in log.entries()
    ]


class Replayed:
    """Answers each (method, path) with the next recorded answer for it (the last one again
    once they run out), chunk by chunk, cutting where the recording was cut; 404 otherwise."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        self.recorded = recorded
        self.used: dict[tuple[str, str], int] = {}

    def _next(self, method: str, path: str) -> dict[str, Any] | None:
        matching = [e for e in self.recorded if (e["method"], e["path"]) == (method, path)]
        if not matching:
            return None
        index = self.used.get((method, path), 0)
        self.used[(method, path)] = index + 1
        return matching[min(index, len(matching) - 1)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        found = self._next(scope["method"], scope["path"])
        if found is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not recorded"})
            return
        headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in found["headers"]
            if k.lower() not in _OWN_HEADERS
        ]

        async def events() -> AsyncGenerator[Any, None]:
            for chunk in found["chunks"]:
                yield chunk.encode("utf-8", "surrogateescape")
            if not found["complete"]:
                yield CUT

        await EventStreamResponse(events(), status=found["status"], headers=headers)(
            scope, receive, send
        )

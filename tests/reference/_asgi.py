"""One request to an ASGI app in this process: status, headers, the body as sent, and whether
the app finished it (a stream the app cuts ends without its last body message). No socket and
no server thread, so replaying hundreds of recorded exchanges stays fast."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.types import ASGIApp

from tests._asgi_messages import http_scope, request_then_disconnect


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    complete: bool  # False: the app returned before its final body message (a cut stream)


async def _call(
    app: ASGIApp, method: str, path: str, query: str, body: bytes, headers: dict[str, str]
) -> Answer:
    scope = http_scope(
        method,
        path,
        [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        ("127.0.0.1", 8000),
        query=query.encode(),
        client=("127.0.0.1", 50000),
    )
    finished = anyio.Event()
    status = 0
    response_headers: dict[str, str] = {}
    parts: list[bytes] = []

    receive = request_then_disconnect(body, finished)  # connected until the body ends

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            for key, value in message.get("headers", []):
                response_headers[bytes(key).decode("latin-1")] = bytes(value).decode("latin-1")
        elif message["type"] == "http.response.body":
            parts.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    await app(scope, receive, send)
    complete = finished.is_set()
    finished.set()
    return Answer(status, response_headers, b"".join(parts), complete)


def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    return anyio.run(_call, app, method, path, query, body, dict(headers or {}))

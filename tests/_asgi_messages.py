"""One request to an ASGI app in this process, every message it sends kept as sent (status,
headers in order, each body chunk), and an exception the app raised after them (the server then
closes the connection): what differential tests compare between two paths."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.types import ASGIApp, Message

Wire = list[dict[str, Any]]  # the ASGI messages sent


class _Event(Protocol):
    async def wait(self) -> Any: ...


def request_then_disconnect(body: bytes, until: _Event) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A client's ``receive``: the whole body at once, then ``http.disconnect`` once ``until``
    is set (a client that stays connected until then; a stream's disconnect watcher waits)."""
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await until.wait()
        return {"type": "http.disconnect"}

    return receive


def http_scope(
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    server: tuple[str, int],
    *,
    query: bytes = b"",
    client: tuple[str, int] = ("127.0.0.1", 1),
) -> dict[str, Any]:
    """The ``http`` scope a server gives an app for one request."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": client,
        "server": server,
    }


async def messages_sent(
    app: ASGIApp,
    method: str,
    path: str,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    server: tuple[str, int],
) -> Wire:
    scope = http_scope(method, path, headers, server)
    sent: Wire = []
    finished = asyncio.Event()  # the client leaves once the body has ended
    receive = request_then_disconnect(body, finished)

    async def send(message: Message) -> None:
        sent.append(dict(message))  # as sent: a shallow copy keeps the same values
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    try:
        await app(scope, receive, send)
    except Exception as exc:
        sent.append({"type": "raised", "exception": type(exc).__name__})
    finished.set()
    return sent

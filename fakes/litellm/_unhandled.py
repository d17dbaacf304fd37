"""The proxy's catch-all answer to an exception nothing else handled: a bare 500, written
outside every middleware (so without vary or the security headers: the scope says so to
``SecurityHeadersMiddleware``; the fake's request log still sees it).

1.88 and 1.90 send an auth failure raised as a plain exception (no key, no ``Bearer ``
prefix) through a database check that imports ``prisma`` (litellm 1.90.7
proxy/auth/auth_exception_handler.py:171, proxy/db/exception_handler.py:46; 1.88.6 :137 and
:46). ``pip install 'litellm[proxy]'`` does not install it (it is in the ``extra-proxy``
extra), so the ModuleNotFoundError reaches the handler of proxy/proxy_server.py:1366-1382
(1.88.6 :1322-1338). Starlette re-raises it once the 500 is sent and uvicorn then closes the
connection: the fake answers the same 500 and keeps the connection open.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY = orjson.dumps(
    {"error": {"message": "Internal server error", "type": "internal_server_error"}}
)


# set in the scope of a request answered so; the security headers are then left off
BARE = "llm_fakes.bare_response"


class UnhandledError(Exception):
    """Raised inside a handler: answered by ``UnhandledErrorMiddleware`` alone."""


class UnhandledErrorMiddleware:
    """An ``UnhandledError`` becomes the catch-all 500 (inside the request log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except UnhandledError:
            if started or scope["type"] != "http":
                raise
            await send_bare(scope, send)


async def send_bare(scope: Scope, send: Send) -> None:
    """The catch-all 500, marked in the scope so no middleware adds its headers."""
    scope[BARE] = True
    headers = [
        (b"content-length", str(len(BODY)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})

"""The proxy's catch-all answer to an exception nothing else handled: a bare 500, written
outside every middleware (so without vary or the security headers: the scope says so to
``SecurityHeadersMiddleware``; the fake's request log still sees it).

1.88 and 1.90 send an auth failure raised as a plain exception (no key, no ``Bearer ``
prefix) through a database check that imports ``prisma`` (litellm 1.90.7
proxy/auth/auth_exception_handler.py:171, proxy/db/exception_handler.py:46; 1.88.6 :137 and
:46). ``pip install 'litellm[proxy]'`` does not install it (it is in the ``extra-proxy``
extra), so the ModuleNotFoundError reaches the handler of proxy/proxy_server.py:1366-1382
(1.88.6 :1322-1338). Starlette re-raises it once the 500 is sent (middleware/errors.py:180-186)
and uvicorn then closes the connection (protocols/http/h11_impl.py:411-416): the whole 500, no
``connection: close`` header, then the socket's end (seen on the wire from 1.88.6 and 1.90.7,
uvicorn 0.55.0). The fake answers the same 500 and closes the connection the same way.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY = orjson.dumps(
    {"error": {"message": "Internal server error", "type": "internal_server_error"}}
)


# set in the scope of a request answered so; the security headers are then left off
BARE = "llm_fakes.bare_response"


class UnhandledError(Exception):
    """Raised inside a handler: answered by ``UnhandledErrorMiddleware`` alone."""


class ClosingConnection(Exception):
    """Raised once the catch-all 500 is complete, as Starlette re-raises the exception its
    handler answered: an ASGI server closes the connection of an app that raises after a
    complete response (uvicorn does so without a word on the wire). The one way an ASGI app
    has to close a kept-alive connection without adding a header."""


class _HideDeliberateCloses(logging.Filter):
    """uvicorn logs the raise as "Exception in ASGI application" with its traceback: here it
    is the fake's deliberate close, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ClosingConnection))


logging.getLogger("uvicorn.error").addFilter(_HideDeliberateCloses())


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


async def send_bare(scope: Scope, send: Send) -> NoReturn:
    """The catch-all 500, marked in the scope so no middleware adds its headers; then the
    connection closes (``ClosingConnection``)."""
    scope[BARE] = True
    headers = [
        (b"content-length", str(len(BODY)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
    raise ClosingConnection("after the catch-all 500")

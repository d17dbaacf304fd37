"""A raw ASGI dispatch in front of starlette for the proxy's hot route: a POST to
``/v1/chat/completions`` (or ``/chat/completions``) goes straight to the route's own handler,
with the body read and logged as CaptureMiddleware does (``log_exchange``) and the security
headers added as SecurityHeadersMiddleware does: two send wrappers instead of three.
Starlette's exception layer, router and per-request wrappers are skipped; every other request
goes on to the stack untouched. The handler is the reference path's own, so every body, error
and stream keeps its bytes: what is saved is plumbing (bench row 9, docs/benchmarks.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.http.capture import BodyTooLarge, TooLarge, log_exchange, read_body, replaying
from fakes.litellm import _routes
from fakes.litellm._headers import security_headers
from fakes.litellm._state import LitellmState
from fakes.litellm._unhandled import BARE, UnhandledError, send_bare

PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})


class ChatDispatch:
    """Sits inside starlette's ServerErrorMiddleware, as the first user middleware: an
    exception the handler lets out gets the same 500 on both paths. The chat handler catches
    its own errors and raises no HTTPException (the exception layer's only business); an
    ``UnhandledError`` (1.88/1.90's auth failures) gets the bare 500 of the reference path."""

    def __init__(self, app: ASGIApp, *, state: LitellmState, too_large: TooLarge) -> None:
        self.app = app
        self.state = state
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        if (
            scope["type"] != "http"
            or scope["path"] not in PATHS
            or scope["method"] != "POST"
            or not state.config.fast_path
        ):
            await self.app(scope, receive, send)
            return
        added = security_headers(state.knobs)
        secured = send if not added else _adding(scope, send, added)
        limit = state.config.max_body_bytes
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await self.too_large(limit)(scope, receive, secured)
            return
        if body is None:
            return  # the client left
        # logged as CaptureMiddleware logs it (the headers before the security ones), then
        # sent as SecurityHeadersMiddleware sends it
        record, finished = log_exchange(state.log, scope, body, secured)
        replayed = replaying(body, receive)
        try:
            try:
                response = await _routes.chat_completions(Request(scope, replayed, record))
            except UnhandledError:
                # answered as UnhandledErrorMiddleware answers it on the reference path (the
                # connection then closes)
                await send_bare(scope, record)
            await response(scope, replayed, record)
        finally:
            finished()


def _adding(scope: Scope, send: Send, added: tuple[tuple[bytes, bytes], ...]) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start" and not scope.get(BARE):
            message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return secured

"""0.6.4's add_request_id middleware (api_server.py:487-492): every response carries
X-Request-Id, the request's own or a fresh uuid4().hex. Later releases do it only with
--enable-request-id-headers. Pure ASGI, so stream bytes pass through untouched."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestIdMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        enabled: Callable[[], bool],
        fresh: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.fresh = fresh

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled():
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        request_id = given or self.fresh().encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id)]}
            await send(message)

        await self.app(scope, receive, send_with_id)

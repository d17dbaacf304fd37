"""llama-server's --api-key check (server-http.cpp middleware_validate_api_key): every path
but the public ones needs a key, before routing, so an unknown path without one is a 401."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.llamacpp import wire


class ApiKeyMiddleware:
    def __init__(
        self, app: ASGIApp, keys: tuple[str, ...], public: frozenset[str], order: tuple[str, ...]
    ) -> None:
        self.app = app
        self.keys = tuple(key.encode() for key in keys)
        self.public = public
        self.body = wire.dump({"error": wire.error_body("Invalid API Key", 401, order=order)})

    def _allowed(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", []))
        given = headers.get(b"authorization") or headers.get(b"x-api-key") or b""
        given = given.removeprefix(b"Bearer ")
        return any(hmac.compare_digest(given, key) for key in self.keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] == "http"
            and scope["method"] != "OPTIONS"
            and path not in self.public
            and not path.startswith("/_fake")
            and not self._allowed(scope)
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", wire.JSON.encode()),
                        (b"content-length", str(len(self.body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": self.body})
            return
        await self.app(scope, receive, send)

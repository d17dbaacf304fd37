"""vLLM's --api-key check: guarded path prefixes answer 401 before any routing."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

UNAUTHORIZED = b'{"error":"Unauthorized"}'


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: tuple[str, ...], prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.expected = tuple(f"Bearer {key}".encode() for key in keys)
        self.prefixes = prefixes

    def _allowed(self, scope: Scope) -> bool:
        header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        # Constant-time comparison against every configured key (0.10.1 takes several).
        return any(hmac.compare_digest(header, expected) for expected in self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] != "OPTIONS"
            and scope["path"].startswith(self.prefixes)
            and not self._allowed(scope)
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(UNAUTHORIZED)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": UNAUTHORIZED})
            return
        await self.app(scope, receive, send)

"""SGLang's --api-key check (utils add_api_key_middleware): every path but /health* and
/metrics* needs ``Authorization: Bearer <key>``; else 401 {"error": "Unauthorized"}."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

UNAUTHORIZED = b'{"error":"Unauthorized"}'
OPEN_PREFIXES = ("/health", "/metrics", "/_fake")


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.expected = f"Bearer {key}".encode()

    def _allowed(self, scope: Scope) -> bool:
        header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        return hmac.compare_digest(header, self.expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] != "OPTIONS"
            and not scope["path"].startswith(OPEN_PREFIXES)
            and not self._allowed(scope)
        ):
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(UNAUTHORIZED)).encode()),
            ]
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": UNAUTHORIZED})
            return
        await self.app(scope, receive, send)

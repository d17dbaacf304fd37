"""Protect the control plane (``/_fake/``, the console included) with a token.

The token comes as ``Authorization: Bearer TOKEN``, as ``?token=TOKEN`` (opening the console
in a browser; the answer then sets a cookie, so the page's own fetches and event stream carry
it), or as that cookie. Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "llm_fakes_control"
PREFIX = "/_fake"


class ControlTokenMiddleware:
    def __init__(self, app: ASGIApp, token: str, prefix: str = PREFIX) -> None:
        if not token:
            raise ValueError("the control token must not be empty")
        self.app = app
        self.token = token.encode()
        # the cookie carries a digest: any token is then a valid cookie value
        self.cookie_value = hashlib.sha256(b"llm-fakes control\0" + self.token).hexdigest()
        self.prefix = prefix

    def _same(self, offered: str | bytes) -> bool:
        value = offered.encode() if isinstance(offered, str) else offered
        return hmac.compare_digest(value, self.token)

    def _check(self, scope: Scope) -> tuple[bool, bool]:
        """(allowed, came as ?token= and should become a cookie)."""
        headers = dict(scope.get("headers", []))
        scheme, _, value = headers.get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and self._same(value.strip()):
            return True, False
        query = scope.get("query_string", b"").decode("latin-1")
        offered = [v for k, v in parse_qsl(query) if k == "token"]
        if offered and self._same(offered[-1]):
            return True, True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header is simply no token
            return False, False
        morsel = cookie.get(COOKIE)
        allowed = morsel is not None and hmac.compare_digest(
            morsel.value.encode(), self.cookie_value.encode()
        )
        return allowed, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        allowed, set_cookie = self._check(scope)
        if not allowed:
            body = orjson.dumps(
                {
                    "detail": "the control plane needs its token: send 'Authorization: Bearer "
                    "TOKEN', or open /_fake/ui?token=TOKEN"
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="llm-fakes control plane"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if not set_cookie:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={self.cookie_value}; Path={self.prefix}; HttpOnly; SameSite=Strict"
        if scope["method"] == "GET" and scope["path"].endswith(f"{self.prefix}/ui"):
            # the page again without ?token=: the token leaves the address bar and history
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", scope["path"].encode("latin-1")),
                        (b"set-cookie", cookie.encode()),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cookie)

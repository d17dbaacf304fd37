"""Canned wire responses in front of any app: exact bytes for quirks no profile produces.

A ``CannedRoute`` answers matching requests with the next of its responses (the last one
repeats); everything else goes to the wrapped app. Each response is sent as the listed
body pieces, one ASGI message per piece, so SSE framing and chunk boundaries are exact.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.http.capture import replaying

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class CannedResponse(BaseModel):
    model_config = _FROZEN

    status: int = Field(default=200, ge=100, le=599)
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
    pieces: tuple[bytes, ...] = ()
    cut: bool = False  # stop without finishing the body, as a dropped connection


class CannedRoute(BaseModel):
    model_config = _FROZEN

    method: str = "POST"
    path: str
    body_contains: str | None = None  # only requests whose body has this text
    responses: tuple[CannedResponse, ...] = Field(min_length=1)


def json_response(status: int, value: object) -> CannedResponse:
    return CannedResponse(status=status, pieces=(json.dumps(value).encode(),))


def text_response(status: int, text: str, content_type: str = "text/plain") -> CannedResponse:
    return CannedResponse(
        status=status, headers=(("content-type", content_type),), pieces=(text.encode(),)
    )


def sse_response(events: Sequence[bytes | str], *, cut: bool = False) -> CannedResponse:
    """Each item is sent as written: include the ``data: `` prefix and blank lines yourself."""
    return CannedResponse(
        headers=(("content-type", "text/event-stream; charset=utf-8"),),
        pieces=tuple(e.encode() if isinstance(e, str) else e for e in events),
        cut=cut,
    )


def sse_data(*payloads: object, done: bool = True) -> list[bytes]:
    """``data: <json>\\n\\n`` per payload (compact JSON), then ``data: [DONE]`` if asked."""
    events = [b"data: " + json.dumps(p, separators=(",", ":")).encode() + b"\n\n" for p in payloads]
    return [*events, b"data: [DONE]\n\n"] if done else events


class CannedMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[CannedRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)
        self._served = [0] * len(self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(
            r.method == scope["method"] and r.path == scope["path"] for r in self.routes
        ):
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        position = self._match(scope, body)
        if position is None:
            await self.app(scope, replaying(body, receive), send)
            return
        route = self.routes[position]
        response = route.responses[min(self._served[position], len(route.responses) - 1)]
        self._served[position] += 1
        await _send(response, send)

    def _match(self, scope: Scope, body: bytes) -> int | None:
        text = body.decode("utf-8", "replace")
        for position, route in enumerate(self.routes):
            if route.method != scope["method"] or route.path != scope["path"]:
                continue
            if route.body_contains is None or route.body_contains in text:
                return position
        return None


async def _send(response: CannedResponse, send: Send) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    for piece in response.pieces:
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    if not response.cut:
        await send({"type": "http.response.body", "body": b"", "more_body": False})

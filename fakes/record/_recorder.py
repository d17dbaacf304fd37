"""A recording reverse proxy: forwards to the upstream live, chunk by chunk, and keeps each
interaction, redacted, in a cassette that is rewritten atomically after every exchange."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.types import Message, Receive, Scope, Send

from fakes.http import async_client
from fakes.record._cassette import Chunk, Header, Interaction, load, save
from fakes.record._errors import send_error
from fakes.record._redact import Redactor

# Hop-by-hop headers and those httpx or uvicorn set for the new connection.
_NOT_FORWARDED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding"}
)
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class Recorder:
    def __init__(
        self,
        upstream: str,
        out: Path,
        *,
        redactor: Redactor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.redactor = redactor or Redactor()
        existing = load(out) if out.exists() else None  # recording again appends
        self.interactions: list[Interaction] = existing.interactions if existing else []
        self.header = Header(
            upstream=self.upstream,
            redacted=self.redactor.describe(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.transport = transport
        self._start = time.monotonic()
        save(self.out, self.header, self.interactions)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        if body is None:
            return
        started = time.monotonic()
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in _NOT_FORWARDED
        }
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        # a client per exchange: it lives and dies in the server's own event loop
        async with async_client(
            transport=self.transport, timeout=httpx.Timeout(None, connect=10.0)
        ) as client:
            request = client.build_request(
                scope["method"],
                url,
                headers={**headers, "accept-encoding": "identity"},
                content=body,
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                message = f"llm-fakes record: upstream {self.upstream} failed: {exc}"
                await send_error(send, 502, message, "upstream_error")
                return
            await self._relay(scope, headers, query, body, started, response, send)

    async def _relay(
        self,
        scope: Scope,
        headers: dict[str, str],
        query: str,
        body: bytes,
        started: float,
        response: httpx.Response,
        send: Send,
    ) -> None:
        chunks: list[Chunk] = []
        complete = False
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k, v)
                        for k, v in response.headers.raw
                        if k.decode("latin-1").lower() not in _NOT_RETURNED
                    ],
                }
            )
            try:
                async for data in response.aiter_raw():
                    chunks.append(Chunk(time.monotonic() - started, data))
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                complete = True
            except httpx.HTTPError:
                pass  # the upstream dropped the connection: drop the client's too
            if complete:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
            item = Interaction(
                method=scope["method"],
                path=scope["path"],
                query=query,
                request_headers=headers,
                request_body=body,
                status=response.status_code,
                response_headers=dict(response.headers.items()),
                chunks=tuple(chunks),
                complete=complete,
                started=started - self._start,
            )
            self._keep(item)

    def _keep(self, item: Interaction) -> None:
        # synchronous on purpose: it cannot be cancelled half way (Ctrl-C, a client that
        # leaves), and one event loop thread means no two saves interleave
        self.interactions.append(self.redactor.interaction(item))
        save(self.out, self.header, self.interactions)


async def _read_body(receive: Receive) -> bytes | None:
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

"""A recording reverse proxy: forwards to the upstream live, chunk by chunk, and keeps each
interaction, redacted, in a cassette: one line appended (and synced) after every exchange."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import anyio.lowlevel
import httpx
from starlette.types import Message, Receive, Scope, Send

from fakes.http.capture import DEFAULT_MAX_BODY
from fakes.http.outgoing import async_client
from fakes.record._cassette import Chunk, Header, Interaction, append, load, save
from fakes.record._errors import read_or_refuse, send_error
from fakes.record._redact import Redactor

# Hop-by-hop headers and those httpx or uvicorn set for the new connection.
_NOT_FORWARDED = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding"}
)
_NOT_RETURNED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


class _RedactForwardedUrls(logging.Filter):
    """httpx logs each forwarded URL at INFO: its query may carry a key (``?key=...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            shown = Redactor()
            record.args = tuple(
                shown.url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactForwardedUrls())


class Recorder:
    def __init__(
        self,
        upstream: str,
        out: Path,
        *,
        redactor: Redactor | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        on_exchange: Callable[[Interaction], None] | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.redactor = redactor or Redactor()
        existing = load(out) if out.exists() else None  # recording again appends
        self.interactions: list[Interaction] = existing.interactions if existing else []
        self.shown_upstream = self.redactor.url(self.upstream)  # no credentials
        self.header = Header(
            upstream=self.shown_upstream,
            redacted=self.redactor.describe(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.transport = transport
        self.max_body = max_body
        self._start = time.monotonic()
        self.on_exchange = on_exchange
        save(self.out, self.header, self.interactions)  # once: the header, and what was there

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        too_large = f"llm-fakes record: request body exceeds the limit of {self.max_body} bytes"
        body = await read_or_refuse(receive, send, self.max_body, too_large)
        if body is None:
            return
        started = time.monotonic()
        forwarded = [
            (k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in _NOT_FORWARDED
        ]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in forwarded}
        query = scope.get("query_string", b"").decode("latin-1")
        # the path as the client sent it (still percent-encoded): a NUL or a space decoded
        # from it would make an invalid URL
        raw_path = scope.get("raw_path") or quote(scope["path"]).encode("latin-1")
        url = self.upstream + raw_path.decode("latin-1") + (f"?{query}" if query else "")
        # a client per exchange: it lives and dies in the server's own event loop
        async with async_client(
            transport=self.transport, timeout=httpx.Timeout(None, connect=10.0)
        ) as client:
            try:
                request = client.build_request(
                    scope["method"],
                    url,
                    # raw bytes: a header that is not ASCII is forwarded as it came
                    headers=[*forwarded, (b"accept-encoding", b"identity")],
                    content=body,
                )
            except httpx.InvalidURL as exc:
                await send_error(send, 400, f"llm-fakes record: {exc}", "invalid_request_error")
                return
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                failure = self.redactor.text(str(exc)).replace(self.upstream, self.shown_upstream)
                message = f"llm-fakes record: upstream {self.shown_upstream} failed: {failure}"
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
        complete = kept = False

        def keep() -> None:
            nonlocal kept
            kept = True
            self._keep(
                Interaction(
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
            )

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
                    await anyio.lowlevel.checkpoint()  # notice a client that left
                complete = True
            except httpx.HTTPError:
                pass  # the upstream dropped the connection: drop the client's too
            if complete:
                # in the cassette before the client sees the end: what it got is recorded
                keep()
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
            if not kept:
                keep()

    def _keep(self, item: Interaction) -> None:
        # synchronous on purpose: it cannot be cancelled half way (Ctrl-C, a client that
        # leaves), and one event loop thread means no two saves interleave
        kept = self.redactor.interaction(item)
        self.interactions.append(kept)
        append(self.out, kept)
        if self.on_exchange is not None:
            self.on_exchange(kept)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

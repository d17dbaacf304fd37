"""The probe's HTTP client: a request budget, a client-side rate limit, 429 ``retry-after``
honoured, bounded timeouts, and every exchange kept byte for byte."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Never more than this many requests per probe run, retries included.
MAX_REQUESTS = 36
MAX_RETRIES_PER_PROBE = 2
MAX_RETRY_WAIT = 30.0  # seconds; a longer retry-after ends the run
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ProbeError(Exception):
    """The probe cannot go on; the message is one line for the user."""


@dataclass
class Exchange:
    """One probe request and what came back (``status`` is None when nothing came back)."""

    probe: str
    method: str
    path: str
    request_body: bytes
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None  # "cut: ..." when the connection dropped mid-body
    attempts: int = 1

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def header_names(self) -> list[str]:
        return [k.lower() for k, _ in self.headers]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def events(self) -> list[Any]:
        """The ``data:`` payloads of an event stream, JSON-decoded ("[DONE]" kept as text)."""
        out: list[Any] = []
        text = self.body.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        for block in text.split("\n\n"):
            lines = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
            if not lines:
                continue
            payload = "\n".join(lines)
            try:
                out.append(json.loads(payload))
            except ValueError:
                out.append(payload)
        return out

    def event_lines(self) -> list[str]:
        text = self.body.replace(b"\r\n", b"\n").decode("utf-8", "replace")
        return [line for line in text.split("\n") if line.startswith("data:")]

    def is_json(self) -> bool:
        return (self.header("content-type") or "").startswith("application/json")


def _retry_after(value: str | None) -> float:
    if not value:
        return 1.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return 1.0


class ProbeClient:
    """Sends probes to one server; ``transport`` runs an ASGI app in-process (tests)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        rate: float = 5.0,  # requests per second at most; 0: no limit
        timeout: httpx.Timeout = TIMEOUT,
        max_requests: int = MAX_REQUESTS,
        max_retry_wait: float = MAX_RETRY_WAIT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sent = 0
        self.max_requests = max_requests
        self.max_retry_wait = max_retry_wait
        self.waited: list[float] = []  # retry-after waits honoured
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._last = 0.0
        self._client = httpx.AsyncClient(
            base_url=self.base_url, transport=transport, timeout=timeout, follow_redirects=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _pace(self) -> None:
        wait = self._last + self._interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last = time.monotonic()

    async def send(
        self,
        probe: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Exchange:
        sent_headers = dict(headers or {})
        raw = b""
        if body is not None:
            raw = json.dumps(body).encode()
            sent_headers.setdefault("content-type", "application/json")
        if auth and self.api_key:
            sent_headers["authorization"] = f"Bearer {self.api_key}"
        exchange = Exchange(probe, method, path, raw)
        for attempt in range(1, MAX_RETRIES_PER_PROBE + 2):
            if self.sent >= self.max_requests:
                raise ProbeError(
                    f"request budget of {self.max_requests} spent before probe {probe!r}"
                )
            await self._pace()
            self.sent += 1
            exchange = await self._once(probe, method, path, raw, sent_headers)
            exchange.attempts = attempt
            if exchange.status != 429 or attempt > MAX_RETRIES_PER_PROBE:
                return exchange
            wait = _retry_after(exchange.header("retry-after"))
            if wait > self.max_retry_wait:
                raise ProbeError(
                    f"{method} {path} is rate limited (429) with retry-after {wait:g} s, "
                    f"longer than the {self.max_retry_wait:g} s the probe waits"
                )
            self.waited.append(wait)
            await asyncio.sleep(wait)
        return exchange

    async def _once(
        self, probe: str, method: str, path: str, raw: bytes, headers: dict[str, str]
    ) -> Exchange:
        exchange = Exchange(probe, method, path, raw)
        request = self._client.build_request(method, path, content=raw or None, headers=headers)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.ConnectError as exc:
            raise ProbeError(f"cannot connect to {self.base_url}: {_reason(exc)}") from None
        except httpx.TimeoutException:
            exchange.error = "timeout: no response within the probe's timeout"
            return exchange
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {_reason(exc)}"
            return exchange
        exchange.status = response.status_code
        exchange.headers = [(k, v) for k, v in response.headers.multi_items()]
        chunks: list[bytes] = []
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                if sum(map(len, chunks)) > 1_000_000:
                    exchange.error = "body larger than 1 MB: stopped reading"
                    break
        except httpx.TimeoutException:
            exchange.error = "timeout: the body stalled"
        except httpx.HTTPError as exc:
            exchange.error = f"cut: {_reason(exc)}"
        finally:
            await response.aclose()
        exchange.body = b"".join(chunks)
        return exchange


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]

"""Calls to a deployment's ``api_base``: retries on 5xx and cooldown after 4xx, like the
LiteLLM router; the upstream response stays open so streams pass through unbuffered."""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from fakes.http import h1transport
from fakes.litellm import _errors
from fakes.litellm._config import Deployment
from fakes.litellm._headers import CallInfo
from fakes.litellm._state import LitellmState
from fakes.profiles import LitellmKnobs, UpstreamErrorFormat

RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})  # and connection errors
COOLDOWN_STATUSES = frozenset({401, 404, 408, 429})  # LiteLLM cools these down at once


@dataclass
class Opened:
    response: httpx.Response

    async def aclose(self) -> None:
        await self.response.aclose()


class _Replayed(httpx.AsyncByteStream):
    """A stream whose first chunk was already read (to see it arrive in time), then the rest."""

    def __init__(self, first: bytes, rest: AsyncIterator[bytes], original: httpx.Response) -> None:
        self.first, self.rest, self.original = first, rest, original

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        async for chunk in self.rest:
            yield chunk

    async def aclose(self) -> None:
        await self.original.aclose()


async def _first_chunk_in_time(response: httpx.Response) -> httpx.Response:
    """LiteLLM waits for a stream's first chunk inside the attempt, so a ``stream_timeout``
    before it fails the attempt (retried, answered as a 408), not the stream."""
    rest = response.aiter_raw()
    try:
        first = await rest.__anext__()
    except StopAsyncIteration:
        first = b""
    except BaseException:
        await response.aclose()
        raise
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=_Replayed(first, rest, response),
        request=response.request,
    )


def _connection_error(
    knobs: LitellmKnobs, deployment: Deployment, exc: Exception
) -> _errors.ProxyError:
    """An upstream that cannot be reached: a wrapped 500 (seen with nothing listening)."""
    if knobs.upstream_error_format is UpstreamErrorFormat.RECEIVED_MODEL_GROUP:
        text = "Connection error."
    elif isinstance(exc, httpx.ConnectError):
        port = httpx.URL(deployment.api_base or "").port
        text = (
            f"Cannot connect to host REDACTED:{port} ssl:<ssl.SSLContext object at "
            f"0x{id(exc):x}> [Connect call failed ('REDACTED', {port})]"
        )
    else:
        text = str(exc) or type(exc).__name__
    return _errors.upstream_error(knobs, deployment, 500, text)


# A request as the client builds it, split at its Content-Length value: (host, port), the
# bytes before and after the value, the timeouts
_Prepared = tuple[tuple[str, int], bytes, bytes, dict[str, Any]]
_PreparedKey = tuple[str, tuple[tuple[str, str], ...]]
_prepared: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[_PreparedKey, _Prepared]] = (
    weakref.WeakKeyDictionary()
)
_MAX_PREPARED = 256  # per client: URLs and header sets (the cache starts over when full)


def _prepare(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> _Prepared:
    """What ``client.build_request`` makes of a POST to ``url`` (its default headers in their
    order, the timeouts), kept per URL and headers."""
    key = (url, tuple(headers.items()))
    cache = _prepared.get(client)
    if cache is None:
        cache = _prepared[client] = {}
    prepared = cache.get(key)
    if prepared is None:
        sample = client.build_request("POST", url, content=b"-", headers=headers)
        head = h1transport.head(sample, b"")
        before, _, after = head.partition(b"\r\nContent-Length: 1\r\n")
        if not after:
            raise ValueError(f"no Content-Length in {head!r}")  # httpx always sends one
        target = (sample.url.host, sample.url.port or 80)
        timeouts = sample.extensions.get("timeout", {})
        prepared = (target, before + b"\r\nContent-Length: ", b"\r\n" + after, timeouts)
        if len(cache) >= _MAX_PREPARED:
            cache.clear()
        cache[key] = prepared
    return prepared


async def _post(
    state: LitellmState,
    url: str,
    content: bytes,
    headers: dict[str, str],
    timeout: httpx.Timeout | None = None,
) -> httpx.Response:
    """POST ``content``; the response open, its body not read. Over the lean transport the
    request is the one the client would build (its default headers, timeouts), without the
    client's per-request work: cookies are none (a jar that holds some takes the client), and
    a deployment's own timeout takes the client too."""
    client, lean = state.upstream()
    if lean is None or timeout is not None or not url.startswith("http://") or client.cookies:
        limit = httpx.USE_CLIENT_DEFAULT if timeout is None else timeout
        request = client.build_request("POST", url, content=content, headers=headers, timeout=limit)
        return await client.send(request, stream=True)
    target, before, after, timeouts = _prepare(client, url, headers)
    data = b"%s%d%s%s" % (before, len(content), after, content)
    response = await lean.exchange(target, data, timeouts, None)
    if "set-cookie" in response.headers:
        client.cookies.extract_cookies(response)
    return response


def header_dict(headers: httpx.Headers) -> dict[str, str]:
    """``dict(headers)`` (names lowercased, repeated ones joined by ", "), without httpx's
    per-lookup work when every byte is ASCII, as an upstream's headers are."""
    out: dict[str, str] = {}
    try:
        for name, value in headers.raw:
            key = name.decode("ascii").lower()
            text = value.decode("ascii")
            out[key] = f"{out[key]}, {text}" if key in out else text
    except UnicodeDecodeError:
        return dict(headers)
    return out


async def read(response: httpx.Response) -> bytes:
    """The whole body (as ``response.aread()``), and the response closed."""
    try:
        if isinstance(response.stream, h1transport.Body) and (
            response.headers.get("content-encoding", "identity") == "identity"
        ):
            return await response.stream.read()
        return await response.aread()
    finally:
        await response.aclose()


# The routes an openai/ deployment calls through the openai SDK (its errors read by the SDK);
# /responses goes through LiteLLM's own HTTP handler, which passes the body on as it came.
SDK_PATHS = ("/chat/completions", "/completions")


async def attempt_upstream(
    state: LitellmState,
    deployment: Deployment,
    path: str,
    body: dict[str, Any],
    call: CallInfo,
) -> Opened:
    """One POST of ``body`` to the deployment; on success the response is open (not read)."""
    assert deployment.api_base is not None
    knobs = state.knobs
    headers = {
        "authorization": f"Bearer {deployment.api_key or 'fake-api-key'}",
        "content-type": "application/json",
        "accept": "application/json",
    }
    call.upstream_started = call.upstream_started or time.monotonic()
    stream = bool(body.get("stream"))
    seconds = deployment.timeout_for(stream)
    limit = None if seconds is None else httpx.Timeout(seconds, connect=10.0)
    started = time.monotonic()
    try:
        url = f"{deployment.api_base}{path}"
        response = await _post(state, url, orjson.dumps(body), headers, limit)
        waits = stream and not knobs.stream_timeout_in_stream
        if seconds is not None and waits and response.status_code < 400:
            response = await _first_chunk_in_time(response)
    except httpx.TimeoutException as exc:
        if seconds is None:
            error = _connection_error(knobs, deployment, exc)
            error.headers = call.headers(knobs.upstream_error_headers)
            raise error from None
        taken = time.monotonic() - started
        error = _errors.timeout_error(knobs, deployment, seconds, taken, stream)
        call.upstream, call.timeout = {}, str(seconds)
        names = knobs.timeout_stream_headers if stream else knobs.upstream_error_headers
        error.headers = call.headers(names)
        raise error from None
    except httpx.TransportError as exc:
        error = _connection_error(knobs, deployment, exc)
        error.headers = call.headers(knobs.upstream_error_headers)
        raise error from None
    call.upstream = header_dict(response.headers)
    if response.status_code < 400:
        return Opened(response)
    text = (await response.aread()).decode("utf-8", "replace")
    await response.aclose()
    status = response.status_code
    if deployment.provider == "openai" and path in SDK_PATHS:
        text = _errors.sdk_message(status, text)
    # an openai/ deployment's text is already the SDK's message ("Error code: N - ...")
    if (
        path == "/completions"
        and knobs.completions_openai_errors
        and deployment.provider != "openai"
    ):
        label = f"OpenAIException - Error code: {status}"
        error = _errors.upstream_error(knobs, deployment, status, text, label)
    else:
        error = _errors.upstream_error(knobs, deployment, status, text)
        error.headers = call.headers(knobs.upstream_error_headers)
    if status in COOLDOWN_STATUSES and (path != "/responses" or knobs.responses_cooldown):
        state.cool_down(deployment, _errors.short_upstream(deployment, status, text), status)
    raise error


async def open_upstream(
    state: LitellmState,
    deployment: Deployment,
    path: str,
    body: dict[str, Any],
    call: CallInfo,
) -> Opened:
    """``body`` to the one deployment, retried on 5xx and connection errors."""
    call.max_retries = state.config.num_retries
    last: _errors.ProxyError | None = None
    for attempt in range(state.config.num_retries + 1):
        call.retries = attempt
        try:
            async with state.slots.held(state.knobs, deployment, call):
                return await attempt_upstream(state, deployment, path, body, call)
        except _errors.ProxyError as error:
            last = error
            if error.status not in RETRY_STATUSES:
                break
    assert last is not None
    raise last

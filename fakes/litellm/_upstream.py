"""Calls to a deployment's ``api_base``: retries on 5xx and cooldown after 4xx, like the
LiteLLM router; the upstream response stays open so streams pass through unbuffered."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

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
    client = state.client()
    call.upstream_started = call.upstream_started or time.monotonic()
    stream = bool(body.get("stream"))
    seconds = deployment.timeout_for(stream)
    limit = httpx.USE_CLIENT_DEFAULT if seconds is None else httpx.Timeout(seconds, connect=10.0)
    request = client.build_request(
        "POST",
        f"{deployment.api_base}{path}",
        content=orjson.dumps(body),
        headers=headers,
        timeout=limit,
    )
    started = time.monotonic()
    try:
        response = await client.send(request, stream=True)
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
    call.upstream = dict(response.headers)
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
            return await attempt_upstream(state, deployment, path, body, call)
        except _errors.ProxyError as error:
            last = error
            if error.status not in RETRY_STATUSES:
                break
    assert last is not None
    raise last

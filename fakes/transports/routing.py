"""Route httpx and httpx2 clients (sync and async) to an in-process fake, with no socket.

httpx goes through respx (the established mock for it); httpx2, which openai-python 3.x
uses and respx does not see, is patched at its transports. While routing is active every
request to another host fails loudly instead of reaching the network.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import respx
from starlette.types import ASGIApp

from fakes.transports.streaming import StreamingASGITransport
from fakes.transports.streaming_httpx2 import StreamingASGITransport2

_SYNC_TIMEOUT = 60.0


class _Loop:
    """An event loop in a daemon thread, for sync clients that cannot await the app."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Any, timeout: float = _SYNC_TIMEOUT) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


def _chunks(loop: _Loop, stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    iterator = stream.__aiter__()
    while True:
        try:
            yield loop.run(iterator.__anext__())
        except StopAsyncIteration:
            return


class _SyncBody:
    """An in-process response body read from a sync client, chunk by chunk, via the loop."""

    def __init__(self, loop: _Loop, response: Any) -> None:
        self._loop, self._response = loop, response

    def __iter__(self) -> Iterator[bytes]:
        return _chunks(self._loop, self._response.stream)

    def close(self) -> None:
        self._loop.run(self._response.aclose())


class _SyncStream(_SyncBody, httpx.SyncByteStream):
    pass


class _SyncStream2(_SyncBody, httpx2.SyncByteStream):
    pass


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Routed:
    """``with Routed(app, "http://vllm.fake"):`` clients reach ``app`` at that address."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname or ""
        self._async = StreamingASGITransport(app)
        self._async2 = StreamingASGITransport2(app)
        self._loop: _Loop | None = None
        self._router: respx.MockRouter | None = None
        self._saved: dict[str, Any] = {}

    @property
    def loop(self) -> _Loop:
        if self._loop is None:
            self._loop = _Loop()
        return self._loop

    def _httpx(self, request: httpx.Request) -> Any:
        if _in_event_loop():  # an async client awaits this coroutine (respx aresolve)
            return self._async.handle_async_request(request)
        response = self.loop.run(self._async.handle_async_request(request))
        return httpx.Response(
            response.status_code, headers=response.headers, stream=_SyncStream(self.loop, response)
        )

    def __enter__(self) -> Routed:
        self._router = respx.mock(assert_all_called=False, assert_all_mocked=True)
        self._router.route(host=self.host).mock(side_effect=self._httpx)
        self._router.__enter__()
        self._patch_httpx2()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for name, original in self._saved.items():
            setattr(getattr(httpx2, name), _METHOD[name], original)
        self._saved.clear()
        if self._router is not None:
            self._router.__exit__(kind, error, trace)
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    def _patch_httpx2(self) -> None:
        routed = self
        original_async = httpx2.AsyncHTTPTransport.handle_async_request
        original_sync = httpx2.HTTPTransport.handle_request

        async def handle_async_request(self: Any, request: httpx2.Request) -> httpx2.Response:
            routed._check(request)
            return await routed._async2.handle_async_request(request)

        def handle_request(self: Any, request: httpx2.Request) -> httpx2.Response:
            routed._check(request)
            response = routed.loop.run(routed._async2.handle_async_request(request))
            return httpx2.Response(
                response.status_code,
                headers=response.headers,
                stream=_SyncStream2(routed.loop, response),
            )

        self._saved = {"AsyncHTTPTransport": original_async, "HTTPTransport": original_sync}
        httpx2.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]
        httpx2.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign]

    def _check(self, request: httpx2.Request) -> None:
        if request.url.host != self.host:
            raise httpx2.ConnectError(
                f"llm-fakes: {request.method} {request.url} is not routed; while an in-process "
                f"fake is active only {self.base_url} is reachable",
                request=request,
            )


_METHOD = {"AsyncHTTPTransport": "handle_async_request", "HTTPTransport": "handle_request"}

"""One client connection at a time, kept alive between requests as a client's pool keeps it,
and what to do when the server has closed it.

httpx's pool drops an idle connection whose end it has already read and opens another, but a
request sent before the server's end arrives fails with no answer. 1.88 and 1.90 close the
connection after their catch-all 500 only once uvicorn has logged the traceback (17-27 ms
later, measured on the wire), so which request of a run failed was the machine's pace. Here
every request goes on the kept connection first; when it gets no answer at all there, the
server had closed the connection after its previous answer: the request goes again on a new
one, as Go's net/http resends a request a reused connection lost (``shouldRetryRequest`` in
its transport.go), and ``closes`` counts it, so the run records that close on the answer
before and compares it like any other value."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator

import httpcore
import httpx

# what a kept connection the server has closed gives a request: an empty read (h11's "Server
# disconnected without sending a response."), a reset, or a broken pipe
_CLOSED = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    """httpcore's exceptions as httpx's classes of the same name, as httpx's transport maps
    them (the run records a failed request by that name)."""
    try:
        yield
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise getattr(httpx, type(exc).__name__)(str(exc)) from exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class KeptConnection(httpx.AsyncBaseTransport):
    """Plain-http HTTP/1.1 to one server over one connection at a time."""

    def __init__(self) -> None:
        self._connection: httpcore.AsyncHTTPConnection | None = None
        self._answered = False  # the current connection has answered a request
        self.closes = 0  # kept connections the server had closed after an answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        connection = self._connection
        kept = connection is not None and self._answered and not connection.is_closed()
        if connection is None or not kept:
            connection = await self._open(core)
        with _as_httpx():
            try:
                answer = await connection.handle_async_request(core)
            except _CLOSED:
                if not kept:
                    raise
                self.closes += 1
                connection = await self._open(core)
                answer = await connection.handle_async_request(core)
        self._answered = True
        assert isinstance(answer.stream, AsyncIterable)
        return httpx.Response(
            answer.status, headers=answer.headers, stream=_Body(answer.stream),
            extensions=answer.extensions,
        )  # fmt: skip

    async def _open(self, request: httpcore.Request) -> httpcore.AsyncHTTPConnection:
        if self._connection is not None:
            await self._connection.aclose()
        self._connection = httpcore.AsyncHTTPConnection(request.url.origin)
        self._answered = False
        return self._connection

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.aclose()
            self._connection = None

"""A pooled HTTP/1.1 httpx transport for plain-http upstreams: asyncio protocols, httptools
parsing. Measured on loopback, httpx's own transport (httpcore over anyio) took about half of the
fake LiteLLM's CPU per proxied request; this one keeps httpx's client, its exceptions, headers,
decoding and timeouts, and hands anything else (https, a request body of unknown length) to the
transport httpx would have used."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools
import httpx

# httpx's defaults (httpx.Limits()): connections in all, idle ones kept, seconds kept idle
MAX_CONNECTIONS = 100
MAX_KEEPALIVE = 20
KEEPALIVE_EXPIRY = 5.0
_PAUSE_AT = 256 * 1024  # buffered body bytes at which reading from the socket pauses
# httpcore's and h11's own words, so errors read as they did through httpx's transport
NO_RESPONSE = "Server disconnected without sending a response."
INCOMPLETE_CHUNKED = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)
INCOMPLETE_LENGTH = (
    "peer closed connection without sending complete message body (received {} bytes, expected {})"
)
CONNECT_FAILED = "All connection attempts failed"

Key = tuple[str, int]


def h11_refusal(head: bytes) -> str | None:
    """What h11 (httpcore's parser) says of a response head: its error text, "" when it
    accepts the head, None when it would wait for more bytes."""
    import h11

    connection = h11.Connection(h11.CLIENT)
    connection.send(h11.Request(method="GET", target="/", headers=[("Host", "upstream")]))
    connection.send(h11.EndOfMessage())
    connection.receive_data(head)
    try:
        event = connection.next_event()
    except h11.RemoteProtocolError as exc:
        return str(exc)
    return None if event is h11.NEED_DATA else ""


class _Connection(asyncio.Protocol):
    """One kept-alive socket; one response at a time, its body chunks queued as they arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.busy = False  # an exchange is under way (from its request to its release)
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._request: httpx.Request | None = None
        self._head: asyncio.Future[None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._received = 0
        self._expected: int | None = None  # content-length, when the response has one
        self._chunked = False
        self.complete = False
        self.reusable = False
        self._error: Exception | None = None
        self._paused = False
        self._head_bytes = bytearray()
        self._refused: str | None = None  # httptools' complaint about the head

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        heading = self._head is not None and not self._head.done()
        if heading:
            self._head_bytes += data  # kept for h11's word, should the head be refused
        if self._refused is not None:
            self._h11_verdict()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if heading:
                self._refused = str(exc)
                self._h11_verdict()
                return
            self._fail(httpx.RemoteProtocolError(str(exc), request=self._request))
            self.close()

    def _h11_verdict(self) -> None:
        """A head httptools refused fails as it did through httpcore: with h11's text once h11
        has read enough to refuse it too (until then the bytes wait, as h11 waits)."""
        assert self._refused is not None
        text = h11_refusal(bytes(self._head_bytes))
        if text is None:
            return  # h11 would wait for more: so does this
        self._fail(httpx.RemoteProtocolError(text or self._refused, request=self._request))
        self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.busy or self.complete:
            return
        if self._head is not None and not self._head.done():
            self._fail(httpx.RemoteProtocolError(NO_RESPONSE, request=self._request))
        elif self._expected is None and not self._chunked:
            self.complete = True  # a body delimited by the end of the connection
            self._wake()
        elif self._chunked:
            self._fail(httpx.RemoteProtocolError(INCOMPLETE_CHUNKED, request=self._request))
        else:
            text = INCOMPLETE_LENGTH.format(self._received, self._expected)
            self._fail(httpx.RemoteProtocolError(text, request=self._request))

    def pause_writing(self) -> None:  # a request is one write: nothing to hold back
        pass

    # --- httptools callbacks -----------------------------------------------------------------

    def on_status(self, status: bytes) -> None:
        self.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" and value.strip().isdigit():
            self._expected = int(value)
        elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
            self._chunked = True

    def on_headers_complete(self) -> None:
        self._head_bytes = bytearray()
        self.status = self._parser.get_status_code()
        if self._head is not None and not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._received += len(body)
        self._buffered += len(body)
        if self._buffered >= _PAUSE_AT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self.reusable = self._parser.should_keep_alive()
        self._wake()

    # --- one exchange ------------------------------------------------------------------------

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wake()

    async def _wait(self, future: asyncio.Future[None], timeout: float | None) -> None:
        if timeout is None:
            await future
            return
        handle = asyncio.get_running_loop().call_later(timeout, self._time_out, future)
        try:
            await future
        finally:
            handle.cancel()

    def _time_out(self, future: asyncio.Future[None]) -> None:
        if not future.done():
            future.set_exception(httpx.ReadTimeout("", request=self._request))

    async def exchange(
        self, request: httpx.Request | None, data: bytes, timeout: float | None
    ) -> None:
        """Write a request and wait for the response's head."""
        assert self.transport is not None
        self._reset()
        self.busy = True
        self._request = request
        self._head = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        await self._wait(self._head, timeout)

    async def chunk(self, timeout: float | None) -> bytes:
        """The next body chunk; b"" once the body is complete."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < _PAUSE_AT // 2 and not self.closed:
                    assert self.transport is not None
                    self._paused = False
                    self.transport.resume_reading()
                return chunk
            if self._error is not None:
                raise self._error
            if self.complete:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._wait(self._waiter, timeout)
            finally:
                self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it hands the connection back."""

    def __init__(
        self, pool: H1Transport, key: Key, connection: _Connection, timeout: float | None
    ) -> None:
        self._pool, self._key, self._connection, self._timeout = pool, key, connection, timeout
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self._connection.chunk(self._timeout):
            yield chunk

    async def read(self) -> bytes:
        """The whole body, without the layers of an iteration."""
        chunks = []
        while chunk := await self._connection.chunk(self._timeout):
            chunks.append(chunk)
        return b"".join(chunks)

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._pool.release(self._key, self._connection)


def head(request: httpx.Request, body: bytes) -> bytes:
    """The request as h11 writes it for httpcore: Host first, then the rest in order."""
    line = b"%s %s HTTP/1.1\r\n" % (request.method.encode("ascii"), request.url.raw_path)
    raw = request.headers.raw
    hosts = [b"%s: %s\r\n" % pair for pair in raw if pair[0].lower() == b"host"]
    rest = [b"%s: %s\r\n" % pair for pair in raw if pair[0].lower() != b"host"]
    return b"".join([line, *hosts, *rest, b"\r\n", body])


class H1Transport(httpx.AsyncBaseTransport):
    """``http://`` requests over pooled kept-alive connections; the rest to ``fallback``."""

    def __init__(self, fallback: httpx.AsyncBaseTransport) -> None:
        self.fallback = fallback
        self._idle: dict[Key, list[_Connection]] = {}
        self._slots: asyncio.Semaphore | None = None  # connections in use, at most

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        plain = url.scheme == "http" and request.method != "HEAD"
        if not plain or "transfer-encoding" in request.headers:
            return await self.fallback.handle_async_request(request)
        return await self.send(request, await request.aread())

    async def send(self, request: httpx.Request, body: bytes) -> httpx.Response:
        """``request`` (an ``http://`` URL, ``body`` its whole content) on a pooled connection;
        the response's body is read as the caller reads it."""
        url = request.url
        key = (url.host, url.port or 80)
        timeouts = request.extensions.get("timeout", {})
        return await self.exchange(key, head(request, body), timeouts, request)

    async def exchange(
        self, key: Key, data: bytes, timeouts: dict[str, Any], request: httpx.Request | None
    ) -> httpx.Response:
        """``data`` (a whole request: line, headers, body) to ``key``; the response's body is
        read as the caller reads it. ``request`` is what errors and the response name."""
        await self._slot(timeouts.get("pool"))
        try:
            connection = self._reuse(key) or await self._connect(
                request, key, timeouts.get("connect")
            )
        except BaseException:
            self._free()
            raise
        try:
            await connection.exchange(request, data, timeouts.get("read"))
        except BaseException:
            connection.close()
            self._free()
            raise
        return httpx.Response(
            connection.status,
            headers=connection.headers,
            stream=Body(self, key, connection, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": connection.reason.strip()},
            request=request,
        )

    async def _slot(self, timeout: float | None) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        if not self._slots.locked():  # taken at once, no wait
            await self._slots.acquire()
            return
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("") from None

    def _free(self) -> None:
        assert self._slots is not None
        self._slots.release()

    def _reuse(self, key: Key) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE_EXPIRY:
                return connection
            connection.close()
        return None

    async def _connect(
        self, request: httpx.Request | None, key: Key, timeout: float | None
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(_Connection, *key)
        except TimeoutError:
            raise httpx.ConnectTimeout("", request=request) from None
        except OSError:
            raise httpx.ConnectError(CONNECT_FAILED, request=request) from None
        return connection

    def release(self, key: Key, connection: _Connection) -> None:
        """A response closed: its connection back to the pool if it can take another
        request, else closed (a body not read to its end included)."""
        self._free()
        connection.busy = False
        if not (connection.complete and connection.reusable and not connection.closed):
            connection.close()
            return
        idle = self._idle.setdefault(key, [])
        if len(idle) >= MAX_KEEPALIVE:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        await self.fallback.aclose()

"""The lean HTTP/1.1 transport against httpx's own, over a raw loopback server that records
the bytes it receives and answers scripted bytes: the same request on the wire, the same
response, the same exceptions and texts, and connections kept or dropped as httpcore does."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from fakes.http import h1transport
from fakes.http.h1transport import H1Transport
from fakes.litellm import _upstream

Script = Callable[[bytes], list[bytes] | None]  # request bytes -> what to write, then close


@dataclass
class RawServer:
    """Answers each request with its script's writes; ``None`` keeps the connection silent."""

    script: Script
    received: list[bytes] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                request = head + await reader.readexactly(length)
                self.received.append(request)
                writes = self.script(request)
                if writes is None:
                    await asyncio.sleep(3600)  # silent: the client's read timeout ends it
                    return
                for data in writes:
                    writer.write(data)
                    await writer.drain()
                if writes and writes[-1] == CLOSE:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


CLOSE = b""  # a script's last write: then the server closes the connection
JSON_OK = (
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok":true}'
)
CHUNKED_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def _serve(raw: RawServer) -> asyncio.Server:
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    return server


def _clients() -> list[httpx.AsyncClient]:
    """httpx's own transport, and the lean one under the same client."""
    lean = H1Transport(httpx.AsyncHTTPTransport())
    return [httpx.AsyncClient(timeout=5), httpx.AsyncClient(timeout=5, transport=lean)]


async def _both(raw: RawServer, call: Callable[[httpx.AsyncClient, str], object]) -> list[object]:
    server = await _serve(raw)
    url = f"http://127.0.0.1:{raw.port}/v1/chat/completions"
    results = []
    try:
        for client in _clients():
            async with client:
                try:
                    results.append(await call(client, url))  # type: ignore[misc]
                except httpx.HTTPError as exc:
                    results.append((type(exc), str(exc)))
    finally:
        server.close()
    return results


async def _post_json(client: httpx.AsyncClient, url: str) -> object:
    response = await client.post(
        url,
        content=b'{"model":"m"}',
        headers={"authorization": "Bearer k", "content-type": "application/json"},
    )
    return response.status_code, list(response.headers.raw), response.content


async def test_the_request_on_the_wire_and_the_answer_are_httpx_own() -> None:
    raw = RawServer(lambda request: [JSON_OK])
    first, second = await _both(raw, _post_json)
    assert first == second
    assert first == (
        200,
        [(b"content-type", b"application/json"), (b"content-length", b"11")],
        b'{"ok":true}',
    )
    assert raw.received[0] == raw.received[1]
    assert raw.received[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")


async def test_the_proxy_s_prepared_request_is_the_client_s_own() -> None:
    """The fake LiteLLM's hot path writes its requests without building them through the
    client each time: the bytes are still the client's (default headers, order, length)."""
    raw = RawServer(lambda request: [JSON_OK])
    server = await _serve(raw)
    url = f"http://127.0.0.1:{raw.port}/v1/chat/completions"
    headers = {
        "authorization": "Bearer k",
        "content-type": "application/json",
        "accept": "application/json",
    }
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            for content in (b'{"a":1}', b'{"model":"a longer body, to change its length"}'):
                await client.post(url, content=content, headers=headers)
                target, before, after, timeouts = _upstream._prepare(client, url, headers)
                lean = H1Transport(httpx.AsyncHTTPTransport())
                data = b"%s%d%s%s" % (before, len(content), after, content)
                response = await lean.exchange(target, data, timeouts, None)
                assert await response.aread() == b'{"ok":true}'
                await lean.aclose()
                assert raw.received[-1] == raw.received[-2]
                assert timeouts == client.timeout.as_dict()
    finally:
        server.close()


async def test_a_compressed_answer_is_decoded_as_httpx_does() -> None:
    body = gzip.compress(b'{"ok":true}')
    head = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(body)
    first, second = await _both(RawServer(lambda request: [head + body]), _post_json)
    assert first == second
    assert first[2] == b'{"ok":true}'  # type: ignore[index]


async def _lines(client: httpx.AsyncClient, url: str) -> object:
    async with client.stream("POST", url, content=b"{}") as response:
        return [line async for line in response.aiter_lines()]


@pytest.mark.parametrize(
    ("name", "writes"),
    [
        (
            "chunked stream cut",
            [CHUNKED_HEAD + _chunk(b"data: 1\n\n"), _chunk(b"data: 2\n\n"), CLOSE],
        ),
        ("length body cut", [b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\ndata: 1\n\n", CLOSE]),
        ("no answer at all", [CLOSE]),
        ("half a head", [b"HTTP/1.1 200 OK\r\ncontent-le", CLOSE]),
        (
            "a body ended by the close",
            [b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\ndata: 1\n\n", CLOSE],
        ),
        ("not http", [b"SSH-2.0-OpenSSH\r\n\r\n", CLOSE]),
        (
            "a whole stream",
            [CHUNKED_HEAD + _chunk(b"data: 1\n\n") + _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"],
        ),
    ],
)
async def test_cuts_and_endings_raise_what_httpx_raises(name: str, writes: list[bytes]) -> None:
    first, second = await _both(RawServer(lambda request: writes), _lines)
    assert first == second, name


async def test_a_silent_upstream_is_a_read_timeout() -> None:
    raw = RawServer(lambda request: None)

    async def call(client: httpx.AsyncClient, url: str) -> object:
        client.timeout = httpx.Timeout(0.2)
        return await _post_json(client, url)

    first, second = await _both(raw, call)
    assert first == second == (httpx.ReadTimeout, "")


async def test_nothing_listening_is_a_connect_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    results = []
    for client in _clients():
        async with client:
            with pytest.raises(httpx.ConnectError) as caught:
                await client.post(f"http://127.0.0.1:{port}/v1/models", content=b"{}")
            results.append(str(caught.value))
    assert results[0] == results[1] == h1transport.CONNECT_FAILED


async def test_connections_are_kept_alive_and_a_half_read_one_is_dropped() -> None:
    whole = CHUNKED_HEAD + _chunk(b"data: 1\n\n") + _chunk(b"data: 2\n\n") + b"0\r\n\r\n"
    unfinished = CHUNKED_HEAD + _chunk(b"data: 1\n\n")  # and the stream goes on (never)
    raw = RawServer(lambda request: [unfinished if b"/unfinished" in request else whole])
    server = await _serve(raw)
    url = f"http://127.0.0.1:{raw.port}/"
    try:
        async with httpx.AsyncClient(transport=H1Transport(httpx.AsyncHTTPTransport())) as client:
            for _ in range(3):
                assert (await client.post(url, content=b"{}")).content == b"data: 1\n\ndata: 2\n\n"
            assert raw.connections == 1
            async with client.stream("POST", url + "unfinished", content=b"{}") as response:
                async for _chunk_bytes in response.aiter_raw():
                    break  # the client leaves: the rest of the body is never read
            await client.post(url, content=b"{}")
            assert raw.connections == 2
    finally:
        server.close()


async def test_https_and_bodies_of_unknown_length_go_to_httpx_own_transport() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    lean = H1Transport(httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=lean) as client:
        await client.post("https://upstream.example/v1/chat/completions", content=b"{}")

        async def body() -> AsyncIterator[bytes]:
            yield b"{}"

        await client.post("http://upstream.example/v1/chat/completions", content=body())
    assert seen == [
        "https://upstream.example/v1/chat/completions",
        "http://upstream.example/v1/chat/completions",
    ]

"""The conformance run's client connection (reference/litellm_conformance/_connection.py): one
kept-alive connection; a request that a kept connection the server closed leaves unanswered
goes again on a new one, and the answer before it is marked ``closed``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from reference.litellm_conformance._stacks import send_all
from reference.litellm_conformance._units import Unit, WireRequest


@dataclass
class Server:
    """HTTP/1.1 on loopback: every request answered 200 "ok" on a kept connection, but
    ``closing`` paths are answered and then the connection is closed, and ``dropped`` paths
    get no answer at all."""

    closing: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)
    handlers: list[asyncio.Task[None]] = field(default_factory=list)  # one per connection

    @property
    def connections(self) -> int:
        return len(self.handlers)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.append(task)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                path = head.split(b" ")[1].decode()
                self.seen.append(path)
                if path in self.dropped:
                    break
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
                if path in self.closing:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed its end
        writer.close()
        await writer.wait_closed()


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[str]:
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"http://127.0.0.1:{port}"
        # the client has closed its connections: each handler ends on that end
        await asyncio.gather(*server.handlers)


def _units(*paths: tuple[str, ...]) -> list[Unit]:
    return [
        Unit(f"u{i}", f"probe:u{i}", (), tuple(WireRequest("GET", p, headers={}) for p in unit))
        for i, unit in enumerate(paths)
    ]


def _marks(answers: dict[str, list[dict[str, object]]]) -> list[tuple[object, bool]]:
    return [(a["status"], bool(a.get("closed"))) for unit in answers.values() for a in unit]


async def test_one_connection_while_the_server_keeps_it() -> None:
    server = Server()
    async with serving(server) as url:
        answers = await send_all(url, _units(("/a",), ("/b", "/c")))
    assert _marks(answers) == [(200, False)] * 3
    assert server.connections == 1


async def test_a_close_after_an_answer_is_marked_on_it_and_the_next_request_goes_again() -> None:
    server = Server(closing={"/a", "/c"})
    async with serving(server) as url:
        answers = await send_all(url, _units(("/a",), ("/b", "/c", "/d"), ("/e",)))
    # /a closed it (marked in the unit before), /c closed it (marked inside the unit)
    assert _marks(answers) == [(200, True), (200, False), (200, True), (200, False), (200, False)]
    assert server.connections == 3
    assert [p for p in server.seen if p in "/b/d"] == ["/b", "/d"]  # each answered once


async def test_a_new_connection_that_gets_no_answer_is_not_sent_again() -> None:
    server = Server(dropped={"/dead"})
    async with serving(server) as url:
        answers = await send_all(url, _units(("/dead",), ("/a",)))
    assert answers["u0"] == [
        {"status": 0, "headers": [], "body": "RemoteProtocolError", "complete": False}
    ]
    assert _marks(answers)[1] == (200, False)
    assert server.seen == ["/dead", "/a"]

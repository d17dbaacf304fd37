"""Replay in-process: respx routes for httpx clients, a transport for httpx2 (openai 3.x).

No ASGI app in between: a matched interaction becomes a response whose body stream yields
the recorded chunks (paced by their offsets unless ``speed`` is 0) and, for a recording of
a cut connection, raises the client library's ``RemoteProtocolError`` after them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import httpx2
import orjson
import respx

from fakes.record._cassette import Chunk, Interaction, load
from fakes.record._pace import paced
from fakes.record._replay import NOT_REPLAYED, NoMatch, Replayer
from fakes.transports.streaming import CUT_MESSAGE


def replayer(*paths: str | Path, speed: float = 0.0, **options: Any) -> Replayer:
    return Replayer([load(p) for p in paths], speed=speed, **options)


async def _chunks(
    item: Interaction, speed: float, errors: ModuleType, request: Any
) -> AsyncIterator[bytes]:
    async for data in paced(item.chunks, speed):
        yield data
    if not item.complete:
        raise errors.RemoteProtocolError(CUT_MESSAGE, request=request)


class _Body:
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk


class _Stream(_Body, httpx.AsyncByteStream):
    pass


class _Stream2(_Body, httpx2.AsyncByteStream):
    pass


def _answer(replay: Replayer, request: Any) -> tuple[list[tuple[str, str]], Interaction]:
    """The headers to send and the interaction; a 404 in OpenAI's shape when none matches."""
    method, path = request.method, request.url.path
    try:
        item = replay.match(method, path, request.url.query.decode(), request.content)
    except NoMatch as exc:
        error = {"message": str(exc), "type": "llm_fakes_no_match", "param": None, "code": 404}
        body = orjson.dumps({"error": error})
        item = Interaction(method, path, "", {}, b"", 404, {}, (Chunk(0.0, body),))
        return [("content-type", "application/json")], item
    headers = [(k, v) for k, v in item.response_headers.items() if k.lower() not in NOT_REPLAYED]
    return headers, item


@contextmanager
def replaying(
    *paths: str | Path, base_url: str, speed: float = 0.0, **options: Any
) -> Iterator[respx.MockRouter]:
    """Every httpx request to ``base_url`` is answered from the cassettes, streams included.

    Requests elsewhere are not mocked and fail (respx's assert_all_mocked).
    """
    replay = replayer(*paths, speed=speed, **options)

    def answer(request: httpx.Request) -> httpx.Response:
        headers, item = _answer(replay, request)
        stream = _Stream(_chunks(item, replay.speed, httpx, request))
        return httpx.Response(item.status, headers=headers, stream=stream)

    with respx.mock(base_url=base_url, assert_all_called=False) as router:
        router.route().mock(side_effect=answer)
        yield router


class ReplayTransport2(httpx2.AsyncBaseTransport):
    """An httpx2 transport answering from cassettes (for openai-python 3.x clients)."""

    def __init__(self, replay: Replayer) -> None:
        self.replay = replay

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        headers, item = _answer(self.replay, request)
        stream = _Stream2(_chunks(item, self.replay.speed, httpx2, request))
        return httpx2.Response(item.status, headers=headers, stream=stream)


def replay_transport(*paths: str | Path, speed: float = 0.0, **options: Any) -> ReplayTransport2:
    """``httpx2.AsyncClient(transport=replay_transport("session.jsonl"))``."""
    return ReplayTransport2(replayer(*paths, speed=speed, **options))

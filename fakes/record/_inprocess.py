"""Replay in-process: respx routes for httpx clients, a transport for httpx2 (openai 3.x)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import respx

from fakes.record._cassette import load
from fakes.record._replay import Replayer
from fakes.transport import StreamingASGITransport, StreamingASGITransport2


def replayer(*paths: str | Path, speed: float = 0.0, **options: Any) -> Replayer:
    return Replayer([load(p) for p in paths], speed=speed, **options)


@contextmanager
def replaying(
    *paths: str | Path, base_url: str, speed: float = 0.0, **options: Any
) -> Iterator[respx.MockRouter]:
    """Every httpx request to ``base_url`` is answered from the cassettes, streams included.

    Requests elsewhere are not mocked and fail (respx's assert_all_mocked).
    """
    app = replayer(*paths, speed=speed, **options)
    transport = StreamingASGITransport(app)

    async def answer(request: httpx.Request) -> httpx.Response:
        return await transport.handle_async_request(request)

    with respx.mock(base_url=base_url, assert_all_called=False) as router:
        router.route().mock(side_effect=answer)
        yield router


def replay_transport(*paths: str | Path, speed: float = 0.0, **options: Any) -> Any:
    """An httpx2 transport (for ``openai.AsyncOpenAI(http_client=httpx2.AsyncClient(...))``)."""
    return StreamingASGITransport2(replayer(*paths, speed=speed, **options))

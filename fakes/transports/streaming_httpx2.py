"""The in-process streaming transport for httpx2 clients (openai-python 3.x).

Kept apart from ``streaming`` so the servers, whose stack routes httpx in-process, never
import httpx2.
"""

from __future__ import annotations

import httpx2
from starlette.types import ASGIApp

from fakes.transports.streaming import _AppBody, _start


class _Httpx2Stream(_AppBody, httpx2.AsyncByteStream):
    pass


class StreamingASGITransport2(httpx2.AsyncBaseTransport):
    """For httpx2 clients (openai-python 3.x): ``httpx2.AsyncClient(transport=...)``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        status, headers, chunks, call = await _start(self.app, request, httpx2)
        return httpx2.Response(status, headers=headers, stream=_Httpx2Stream(chunks, call))

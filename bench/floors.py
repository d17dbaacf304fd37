"""Bare starlette floors, served exactly like the fake (same bind, same uvicorn config).

``python -m bench.floors json|sse --port P --body FILE``: ``json`` answers every POST with the
file's bytes; ``sse`` streams the file's events (split on blank lines) one chunk each. Both on
the chat and the responses route.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakes.http.server import bind, uvicorn_config

PATHS = ("/v1/chat/completions", "/v1/responses")


async def health(request: Request) -> Response:
    return Response(status_code=200)


def json_app(body: bytes) -> Starlette:
    async def chat(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/health", health), *_posts(chat)])


def sse_app(events: list[bytes]) -> Starlette:
    async def chat(request: Request) -> StreamingResponse:
        await request.body()

        async def stream() -> AsyncIterator[bytes]:
            for event in events:
                yield event

        return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8")

    return Starlette(routes=[Route("/health", health), *_posts(chat)])


def _posts(endpoint: Any) -> list[Route]:
    return [Route(path, endpoint, methods=["POST"]) for path in PATHS]


def split_events(body: bytes) -> list[bytes]:
    return [part + b"\n\n" for part in body.split(b"\n\n") if part]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["json", "sse", "bare"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path)
    args = parser.parse_args()
    if args.kind == "sse":
        app = sse_app(split_events(args.body.read_bytes()))
    else:
        app = json_app(args.body.read_bytes() if args.body else b"{}")
    sock = bind(args.host, args.port)
    server = uvicorn.Server(uvicorn_config(app, args.host, args.port))
    server.run(sockets=[sock])  # exactly as `llm-fakes serve` serves the fake


if __name__ == "__main__":
    main()

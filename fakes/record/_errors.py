"""The recorder's and the replayer's own errors, in OpenAI's nested error shape."""

from __future__ import annotations

import orjson
from starlette.types import Receive, Send

from fakes.http.capture import BodyTooLarge, read_body


async def send_error(send: Send, status: int, message: str, kind: str) -> None:
    body = orjson.dumps(
        {"error": {"message": message, "type": kind, "param": None, "code": status}}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def read_or_refuse(receive: Receive, send: Send, limit: int, message: str) -> bytes | None:
    """The request body; None when the client left, or when it was over ``limit`` and has
    been answered 413 with ``message``."""
    try:
        return await read_body(receive, limit)
    except BodyTooLarge:
        await send_error(send, 413, message, "llm_fakes_too_large")
        return None

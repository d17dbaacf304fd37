"""The recorder's and the replayer's own errors, in OpenAI's nested error shape."""

from __future__ import annotations

import orjson
from starlette.types import Send


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

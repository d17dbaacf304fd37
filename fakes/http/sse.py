"""Server-sent event framing as OpenAI-compatible servers write it."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from fakes.types import JSONValue

DONE = b"data: [DONE]\n\n"


def compact(value: JSONValue) -> bytes:
    """JSON without spaces, as pydantic's ``model_dump_json`` and starlette write it."""
    return orjson.dumps(value)


def spaced(value: JSONValue) -> bytes:
    """JSON as Python's ``json.dumps`` writes it by default: ``", "`` and ``": "``."""
    import json

    return json.dumps(value, ensure_ascii=False).encode()


def event(payload: bytes, *, fields: Sequence[tuple[str, str]] = ()) -> bytes:
    """One SSE event: optional ``name: value`` lines, then ``data:``, then a blank line."""
    head = b"".join(f"{name}: {value}\n".encode() for name, value in fields)
    return head + b"data: " + payload + b"\n\n"


def data(value: JSONValue) -> bytes:
    return b"data: " + orjson.dumps(value) + b"\n\n"

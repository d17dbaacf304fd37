"""What SGLang checks before generating: the JSON content type, the protocol model (FastAPI's
RequestValidationError, which its handler turns into a 400), and _validate_request."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from fakes.sglang._state import SglangState
from fakes.sglang.wire.errors import SglangError


class Unhandled(Exception):
    """An exception the release leaves to FastAPI: a plain-text 500."""


_MEDIA_ERROR = (
    "{'loc': ['header', 'content-type'], "
    "'msg': \"Unsupported Media Type: Only 'application/json' is allowed\", "
    "'type': 'value_error'}"
)
# http_server.py validation_exception_handler: f"{str(exc)} {str(exc.errors())}"
CONTENT_TYPE_ERROR = f"1 validation error:\n  {_MEDIA_ERROR} [{_MEDIA_ERROR}]"


def _invalid(state: SglangState, message: str) -> Exception:
    if state.knobs.validation_status != 400:
        return Unhandled(message)
    return SglangError(message, 400, "Bad Request")


async def read_chat(state: SglangState, request: Request) -> dict[str, Any]:
    knobs = state.knobs
    media = request.headers.get("content-type", "").lower().split(";", 1)[0].strip()
    if knobs.validation_status == 400 and media != "application/json":
        raise SglangError(CONTENT_TYPE_ERROR, 400, "Bad Request")
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _invalid(state, "JSON decode error") from None
    if not isinstance(body, dict):
        raise _invalid(state, "Input should be a valid dictionary")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _invalid(state, "Field required: messages")
    if not isinstance(body.get("model", ""), str):
        raise _invalid(state, "Input should be a valid string: model")
    # the protocol model's types for what the fake reads (pydantic rejects the rest)
    shapes: dict[str, type | tuple[type, ...]] = {
        "stream_options": dict,
        "stop": (str, list),
        "tools": list,
        "max_tokens": int,
        "max_completion_tokens": int,
    }
    for key, shape in shapes.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, shape) or isinstance(value, bool)):
            raise _invalid(state, f"Input has the wrong type: {key}")
    if not all(isinstance(m, dict) for m in messages) or not all(
        isinstance(t, dict) for t in body.get("tools") or []
    ):
        raise _invalid(state, "Input should be a valid dictionary: messages, tools")
    if not messages:
        raise SglangError("Messages cannot be empty.")
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice.lower() == "required" and not body.get("tools"):
        raise SglangError("Tools cannot be empty if tool choice is set to required.")
    return body

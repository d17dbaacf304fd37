"""vLLM's error bodies: flat or nested by release, and the statuses it uses."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from fakes.http import sse
from fakes.profiles import ErrorShape, JsonStyle, Knobs
from fakes.types import JSONObject
from fakes.vllm import _validation
from fakes.vllm._fastapi import Where

# create_error_response(err_type=...) names used by vLLM's serving classes.
TYPE_FOR_STATUS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    404: "NotFoundError",
    408: "TimeoutError",
    413: "BadRequestError",
    429: "RateLimitError",
    500: "InternalServerError",
    501: "NotImplementedError",
    503: "ServiceUnavailableError",
}


class VllmError(Exception):
    """Raised inside a handler; becomes the release's error body and status."""

    def __init__(
        self, message: str, status: int = 400, type: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type or TYPE_FOR_STATUS.get(status, HTTPStatus(status).phrase)
        self.param = param


class PlainServerError(Exception):
    """An exception vLLM leaves unhandled: FastAPI answers a plain-text 500."""


def plain_500() -> Response:
    return Response("Internal Server Error", status_code=500, media_type="text/plain")


def error_object(
    knobs: Knobs, message: str, type: str, status: int, param: str | None = None
) -> JSONObject:
    if knobs.error_shape is ErrorShape.FLAT:
        return {"object": "error", "message": message, "type": type, "param": param, "code": status}
    return {"error": {"message": message, "type": type, "param": param, "code": status}}


def error_response(knobs: Knobs, error: VllmError) -> Response:
    body = error_object(knobs, error.message, error.type, error.status, error.param)
    return Response(orjson.dumps(body), status_code=error.status, media_type="application/json")


def stream_error_payload(knobs: Knobs, error: VllmError, *, chat: bool = True) -> bytes:
    """The JSON of an in-band error event: ``json.dumps`` (spaced), except where a release's
    chat stream yields the ErrorResponse itself (``stream_error_style``). /v1/completions
    keeps json.dumps through 0.34 (completion/serving.py create_streaming_error_response)."""
    inner = error_object(knobs, error.message, error.type, error.status, error.param)
    body = inner if knobs.error_shape is ErrorShape.NESTED else {"error": inner}
    if not chat or knobs.stream_error_style is JsonStyle.SPACED:
        return sse.spaced(body)
    return sse.compact(body)


def validation_error(
    knobs: Knobs, errors: Sequence[dict[str, Any]], where: Where | None = None
) -> VllmError:
    """What FastAPI's RequestValidationError, raised on ``where``, becomes in vLLM's handler."""
    return VllmError(
        _validation.message(knobs, errors, where),
        400,
        knobs.validation_error_type,
        _validation.param(knobs, errors),
    )


def detail_response(status: int) -> Response:
    """FastAPI's default body for routing errors: {"detail": "Not Found"}."""
    body = orjson.dumps({"detail": HTTPStatus(status).phrase})
    return Response(body, status_code=status, media_type="application/json")

"""SGLang's error bodies: the flat ErrorResponse of its OpenAI layer, and FastAPI's own."""

from __future__ import annotations

import json
from http import HTTPStatus

import orjson
from starlette.responses import Response

from fakes.types import JSONObject

JSON = "application/json"


class SglangError(Exception):
    """Raised inside a handler; becomes ``create_error_response``'s body and status."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        type: str = "BadRequestError",
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param


def error_object(error: SglangError) -> JSONObject:
    # ErrorResponse(object, message, type, param, code) dumped flat, every release
    return {
        "object": "error",
        "message": error.message,
        "type": error.type,
        "param": error.param,
        "code": error.status,
    }


def error_response(error: SglangError) -> Response:
    return Response(orjson.dumps(error_object(error)), status_code=error.status, media_type=JSON)


def stream_error_payload(error: SglangError) -> bytes:
    """``create_streaming_error_response``: json.dumps (spaced) of {"error": ErrorResponse}."""
    return json.dumps({"error": error_object(error)}).encode()


def plain_500() -> Response:
    return Response("Internal Server Error", status_code=500, media_type="text/plain")


def detail_response(status: int) -> Response:
    body = orjson.dumps({"detail": HTTPStatus(status).phrase})
    return Response(body, status_code=status, media_type=JSON)

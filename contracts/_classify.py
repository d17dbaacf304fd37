"""Turn an HTTP error (status and body, in any backend's shape) into a classified Failure."""

from __future__ import annotations

import re
from typing import Any

import orjson

from contracts._model import ErrorKind, Failure

_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_MODEL_MISSING = re.compile(
    r"does not exist|invalid model name|model_not_found|unknown model", re.I
)
# also matches the body quoted inside a proxy's message, with its quotes escaped;
# llama-server's unknown route is {"error": {"message": "File Not Found", ...}}
_ROUTE_MISSING = re.compile(
    r'\{\\?"detail\\?":\s*\\?"(Not Found|Method Not Allowed)\\?"\}|not implemented'
    r'|\\?"message\\?":\s*\\?"File Not Found\\?"',
    re.I,
)


def error_message(body: bytes) -> str:
    """The human message of an error body: JSON of any common shape, plain text or HTML."""
    try:
        value: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        value = None
    if isinstance(value, dict):
        error = value.get("error", value)
        if isinstance(error, dict):
            for key in ("message", "detail", "msg"):
                if isinstance(error.get(key), str):
                    return str(error[key])
        if isinstance(error, str):
            return error
        if isinstance(value.get("detail"), str):
            return str(value["detail"])
        return body.decode("utf-8", "replace")[:500]
    if isinstance(value, str):
        return value
    if title := _TITLE.search(body):
        return _TAGS.sub("", title.group(1).decode("utf-8", "replace")).strip()
    return body.decode("utf-8", "replace").strip()[:500]


def classify(status: int, body: bytes) -> Failure:
    message = error_message(body)
    text = body.decode("utf-8", "replace")
    kind: ErrorKind
    if status in (401, 403) or "no_db_connection" in text:
        kind = ErrorKind.AUTH
    elif _MODEL_MISSING.search(text) and status in (400, 404):
        kind = ErrorKind.MODEL_NOT_FOUND
    elif status in (405, 501) or (status == 404 and _is_missing_route(body, text)):
        kind = ErrorKind.ENDPOINT_UNSUPPORTED
    elif status == 404:
        kind = ErrorKind.MODEL_NOT_FOUND
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status >= 500:
        kind = ErrorKind.SERVER
    else:
        kind = ErrorKind.BAD_REQUEST
    return Failure(kind=kind, status=status, message=message)


def _is_missing_route(body: bytes, text: str) -> bool:
    # Starlette/FastAPI's own 404, also when a proxy wraps it in its message; Go's net/http
    # and gin (Ollama) answer an unknown route with "404 page not found"
    missing = (b"", b"Not Found", b"404 page not found")
    return body.strip() in missing or bool(_ROUTE_MISSING.search(text))


def classify_frame(error: Any) -> Failure:
    """An error sent inside a 200 stream (``data: {"error": ...}``)."""
    if not isinstance(error, dict):
        return Failure(kind=ErrorKind.SERVER, message=str(error))
    code = error.get("code")
    status = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    message = str(error.get("message", ""))
    if status is not None and 400 <= status < 600:
        failure = classify(status, orjson.dumps({"error": error}))
        return failure
    return Failure(kind=ErrorKind.SERVER, status=None, message=message)

"""Import cassettes from vcrpy (YAML) and HAR files; SSE bodies become one chunk per event."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from fakes.record._cassette import CassetteError, Chunk, Header, Interaction
from fakes.record._redact import Redactor

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def sse_chunks(body: bytes, duration: float = 0.0) -> tuple[Chunk, ...]:
    """Split a buffered SSE body back into its events, spread evenly over ``duration``."""
    pieces, start = [], 0
    for end in _EVENT_END.finditer(body):
        pieces.append(body[start : end.end()])
        start = end.end()
    if start < len(body):
        pieces.append(body[start:])
    step = duration / len(pieces) if pieces else 0.0
    return tuple(Chunk(round(step * (i + 1), 6), piece) for i, piece in enumerate(pieces))


def _chunks(body: bytes, headers: dict[str, str], duration: float) -> tuple[Chunk, ...]:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "text/event-stream" in content_type:
        return sse_chunks(body, duration)
    return (Chunk(duration, body),) if body else ()


def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path or "/", parts.query


def _first(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) and value else str(value)


def from_vcrpy(path: Path, redactor: Redactor) -> tuple[Header, list[Interaction]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CassetteError(f"{path}{line}: not YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"{path}: not a vcrpy cassette (no 'interactions' list)")
    items = []
    for number, entry in enumerate(data["interactions"], start=1):
        try:
            request, response = entry["request"], entry["response"]
            body = request.get("body") or b""
            body = body.encode() if isinstance(body, str) else bytes(body)
            content = response["body"].get("string") or b""
            content = content.encode() if isinstance(content, str) else bytes(content)
            headers = {k: _first(v) for k, v in (response.get("headers") or {}).items()}
            route, query = _split(request["uri"])
            items.append(
                Interaction(
                    method=str(request["method"]).upper(),
                    path=route,
                    query=query,
                    request_headers={
                        k: _first(v) for k, v in (request.get("headers") or {}).items()
                    },
                    request_body=body,
                    status=int(response["status"]["code"]),
                    response_headers=headers,
                    chunks=_chunks(content, headers, 0.0),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CassetteError(
                f"{path}: interaction {number}: {type(exc).__name__}: {exc}"
            ) from None
    upstream = ""
    if items:
        first = urlsplit(data["interactions"][0]["request"]["uri"])
        upstream = f"{first.scheme}://{first.netloc}"
    return Header(upstream=redactor.url(upstream), source="vcrpy"), [
        redactor.interaction(i) for i in items
    ]


def from_har(path: Path, redactor: Redactor) -> tuple[Header, list[Interaction]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["log"]["entries"]
    except json.JSONDecodeError as exc:
        raise CassetteError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    except (KeyError, TypeError):
        raise CassetteError(f"{path}: not a HAR file (no log.entries)") from None
    items = []
    for number, entry in enumerate(entries, start=1):
        try:
            request, response = entry["request"], entry["response"]
            body = (request.get("postData") or {}).get("text", "").encode()
            content = response.get("content") or {}
            text = content.get("text", "")
            raw = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
            headers = {h["name"]: h["value"] for h in response.get("headers", [])}
            timings = entry.get("timings") or {}
            waited = max(float(timings.get("wait", 0) or 0), 0.0) / 1000
            received = max(float(timings.get("receive", 0) or 0), 0.0) / 1000
            chunks = tuple(
                Chunk(round(waited + c.offset, 6), c.data) for c in _chunks(raw, headers, received)
            )
            route, query = _split(request["url"])
            items.append(
                Interaction(
                    method=str(request["method"]).upper(),
                    path=route,
                    query=query,
                    request_headers={h["name"]: h["value"] for h in request.get("headers", [])},
                    request_body=body,
                    status=int(response["status"]),
                    response_headers=headers,
                    chunks=chunks,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{path}: entry {number}: {type(exc).__name__}: {exc}") from None
    upstream = ""
    if entries:
        first = urlsplit(entries[0]["request"]["url"])
        upstream = f"{first.scheme}://{first.netloc}"
    return Header(upstream=redactor.url(upstream), source="har"), [
        redactor.interaction(i) for i in items
    ]


def convert(path: Path, redactor: Redactor | None = None) -> tuple[Header, list[Interaction]]:
    redactor = redactor or Redactor()
    if path.suffix.lower() == ".har":
        header, items = from_har(path, redactor)
    elif path.suffix.lower() in (".yaml", ".yml"):
        header, items = from_vcrpy(path, redactor)
    else:
        raise CassetteError(f"{path}: convert reads vcrpy .yaml/.yml and .har files")
    header.redacted = redactor.describe()
    return header, items

"""A bounded log of what a fake received and sent back, for tests and the control plane."""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson

from fakes.jsonlimit import too_deep
from fakes.types import JSONObject

SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "x-litellm-api-key", "proxy-authorization", "cookie"}
)


def redact_header(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, sep, _ = value.partition(" ")
    return f"{scheme} [redacted]" if sep and scheme.lower() in {"bearer", "basic"} else "[redacted]"


@dataclass
class Exchange:
    """One request and its response, with the response body kept chunk by chunk."""

    id: int
    started: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    finished: float | None = None
    complete: bool = False  # the response ended normally (no cut, no disconnect)

    def json_body(self) -> Any:
        try:
            value = orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None
        return None if too_deep(value) else value  # too deep: shown as text

    def to_json(self) -> JSONObject:
        body = self.json_body()
        response = b"".join(chunk for _, chunk in self.chunks)
        streamed = self.response_headers.get("content-type", "").startswith("text/event-stream")
        first = self.chunks[0][0] if self.chunks else None
        return {
            "id": self.id,
            "time": self.started,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "json": body,
            "body": None if body is not None else self.body.decode("utf-8", "replace"),
            "model": body.get("model") if isinstance(body, dict) else None,
            "status": self.status,
            "streamed": streamed,
            "response_headers": self.response_headers,
            "response": response.decode("utf-8", "replace"),
            "events": [
                {"offset": round(offset, 6), "data": chunk.decode("utf-8", "replace")}
                for offset, chunk in self.chunks
            ]
            if streamed
            else None,
            "ttft": None if first is None else round(first, 6),
            "duration": None if self.finished is None else round(self.finished - self.started, 6),
            "complete": self.complete,
        }


class RequestLog:
    def __init__(self, limit: int = 1000) -> None:
        self._entries: deque[Exchange] = deque(maxlen=limit)
        self._ids = itertools.count(1)

    def start(
        self, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Exchange:
        entry = Exchange(
            id=next(self._ids),
            started=time.time(),
            method=method,
            path=path,
            query=query,
            headers={
                k.decode("latin-1"): redact_header(k.decode("latin-1"), v.decode("latin-1"))
                for k, v in headers
            },
            body=body,
        )
        self._entries.append(entry)
        return entry

    def entries(self, since: int = 0) -> list[Exchange]:
        return [entry for entry in self._entries if entry.id > since]

    def clear(self) -> None:
        self._entries.clear()

"""A bounded log of what a fake received and sent back, for tests and the control plane."""

from __future__ import annotations

import itertools
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from fakes.http.jsonlimit import too_deep
from fakes.types import JSONObject

SECRET_HEADERS = frozenset(
    {"authorization", "api-key", "x-api-key", "x-litellm-api-key", "proxy-authorization", "cookie"}
)


def redact_header(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, sep, _ = value.partition(" ")
    return f"{scheme} [redacted]" if sep and scheme.lower() in {"bearer", "basic"} else "[redacted]"


class Chunks:
    """A response body's chunks and their offsets, read as ``(offset, bytes)`` pairs. Kept as
    an array of offsets beside a list of bytes: a pair as a tuple and a float object costs
    80 bytes more per chunk, and a full log holds tens of thousands of chunks. A body of one
    chunk (every plain answer) is kept as its pair alone, without the array and the list: a
    full log's entries then fit the CPU's cache better (bench row 11). A stream written from
    templates keeps each event as the key (its number, or its values) that ``render`` turns
    back into its bytes (``rendered_by``): about 300 bytes less per event, 6 KB per stream of
    20 tokens, and 1 KB less per plain answer."""

    __slots__ = ("_data", "_first", "_offsets", "_render")

    def __init__(self, pairs: Iterable[tuple[float, bytes]] = ()) -> None:
        self._first: tuple[float, object] | None = None  # the only chunk so far
        self._offsets: array[float] | None = None  # from the second chunk on
        self._data: list[object] | None = None  # bytes, or a key for render
        self._render: Callable[[Any], bytes] | None = None
        for pair in pairs:
            self.append(pair)

    def rendered_by(self, render: Callable[[Any], bytes]) -> None:
        """What ``append_rendered``'s keys stand for: ``render(key)`` gives the same bytes
        every time it is called."""
        self._render = render

    def append(self, pair: tuple[float, bytes]) -> None:
        if self._first is None and self._offsets is None:
            self._first = pair if type(pair) is tuple else (pair[0], pair[1])
            return
        self._add(*pair)

    def append_rendered(self, offset: float, key: object) -> None:
        """A chunk kept as ``render(key)`` (see ``rendered_by``); a key is never bytes."""
        if self._render is None:
            raise ValueError("rendered_by() names what the keys stand for first")
        if self._first is None and self._offsets is None:
            self._first = (offset, key)
            return
        self._add(offset, key)

    def _add(self, offset: float, item: object) -> None:
        offsets, data = self._offsets, self._data
        if offsets is None or data is None:  # a second chunk: the first moves into the array
            assert self._first is not None
            first_offset, first = self._first
            offsets, data = self._offsets, self._data = array("d", (first_offset,)), [first]
            self._first = None
        offsets.append(offset)
        data.append(item)

    def _bytes(self, item: object) -> bytes:
        if isinstance(item, bytes):
            return item
        assert self._render is not None  # append_rendered checked it
        return self._render(item)

    def _pairs(self) -> tuple[Sequence[float], Sequence[object]]:
        if self._offsets is not None and self._data is not None:
            return self._offsets, self._data
        if self._first is None:
            return (), ()
        return (self._first[0],), (self._first[1],)

    def __len__(self) -> int:
        if self._data is not None:
            return len(self._data)
        return 0 if self._first is None else 1

    def __iter__(self) -> Iterator[tuple[float, bytes]]:
        offsets, data = self._pairs()
        return zip(offsets, map(self._bytes, data), strict=True)

    def __getitem__(self, index: int) -> tuple[float, bytes]:
        offsets, data = self._pairs()
        return offsets[index], self._bytes(data[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Chunks | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Chunks({list(self)!r})"


def pack_headers(headers: Iterable[tuple[bytes, bytes]]) -> bytes | list[tuple[bytes, bytes]]:
    """ASGI header pairs as one bytes, NUL between names and values: what a log entry keeps.
    Keeping the server's own pairs instead holds three objects a header for as long as the
    entry lives, and a full log of them no longer fits the CPU's cache (bench row 11). A NUL
    inside a name or a value (only an in-process caller can send one) keeps the pairs."""
    pairs = headers if isinstance(headers, list) else list(headers)
    packed = b"\0".join(itertools.chain.from_iterable(pairs))
    if packed.count(b"\0") != 2 * len(pairs) - 1:
        return list(pairs)  # a copy: scope headers may be rewritten later
    return packed


def unpack_headers(packed: bytes) -> Iterator[tuple[bytes, bytes]]:
    parts = packed.split(b"\0")
    return zip(parts[::2], parts[1::2], strict=True)


@dataclass(slots=True)
class Exchange:
    """One request and its response, with the response body kept chunk by chunk."""

    id: int
    started: float
    method: str
    path: str
    query: str
    # the request's headers as received (pack_headers), decoded and redacted when read
    raw_headers: bytes | list[tuple[bytes, bytes]] | dict[str, str]
    body: bytes
    status: int | None = None
    # the response's headers as sent (raw ASGI pairs), decoded when read
    raw_response_headers: list[tuple[bytes, bytes]] | dict[str, str] = field(default_factory=dict)
    chunks: Chunks = field(default_factory=Chunks)
    finished: float | None = None
    complete: bool = False  # the response ended normally (no cut, no disconnect)

    @property
    def headers(self) -> dict[str, str]:
        """The request's headers, secrets redacted (decoded on first read, then kept)."""
        raw = self.raw_headers
        if isinstance(raw, dict):
            return raw
        pairs = unpack_headers(raw) if isinstance(raw, bytes) else raw
        decoded = {
            k.decode("latin-1"): redact_header(k.decode("latin-1"), v.decode("latin-1"))
            for k, v in pairs
        }
        self.raw_headers = decoded
        return decoded

    @property
    def response_headers(self) -> dict[str, str]:
        """The response's headers (decoded on first read, then kept)."""
        raw = self.raw_response_headers
        if isinstance(raw, dict):
            return raw
        decoded = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}
        self.raw_response_headers = decoded
        return decoded

    @response_headers.setter
    def response_headers(self, value: dict[str, str]) -> None:
        self.raw_response_headers = value

    def json_body(self) -> Any:
        try:
            value = orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None
        return None if too_deep(value) else value  # too deep: shown as text

    @property
    def streamed(self) -> bool:
        return self.response_headers.get("content-type", "").startswith("text/event-stream")

    def summary(self) -> JSONObject:
        """What a list row shows: no bodies."""
        body = self.json_body()
        first = self.chunks[0][0] if self.chunks else None
        return {
            "id": self.id,
            "time": self.started,
            "method": self.method,
            "path": self.path,
            "model": body.get("model") if isinstance(body, dict) else None,
            "status": self.status,
            "streamed": self.streamed,
            "ttft": None if first is None else round(first, 6),
            "duration": None if self.finished is None else round(self.finished - self.started, 6),
            "complete": self.complete,
        }

    def to_json(self) -> JSONObject:
        body = self.json_body()
        response = b"".join(chunk for _, chunk in self.chunks)
        streamed = self.streamed
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


Listener = Callable[[str, Exchange | None], None]  # "new" | "update" | "clear" (None)


class RequestLog:
    """The newest ``limit`` exchanges; listeners hear of each new or updated one."""

    def __init__(self, limit: int = 1000) -> None:
        if limit < 1:
            raise ValueError("the request log limit must be at least 1")
        self.limit = limit
        self._entries: deque[Exchange] = deque(maxlen=limit)
        self._ids = itertools.count(1)
        self.listeners: list[Listener] = []

    def _notify(self, kind: str, entry: Exchange | None) -> None:
        if self.listeners:  # mostly none: the console subscribes while it is open
            for listener in list(self.listeners):
                listener(kind, entry)

    def updated(self, entry: Exchange) -> None:
        self._notify("update", entry)

    def start(
        self, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Exchange:
        # positional: a request's fast path spends half the keyword call's time here
        entry = Exchange(
            next(self._ids), time.time(), method, path, query, pack_headers(headers), body
        )
        self._entries.append(entry)
        if self.listeners:
            self._notify("new", entry)
        return entry

    def entries(self, since: int = 0) -> list[Exchange]:
        return [entry for entry in self._entries if entry.id > since]

    def __len__(self) -> int:
        return len(self._entries)

    def _index(self, entry_id: int) -> int:
        """Position of the first entry with an id >= ``entry_id`` (ids only grow)."""
        low, high = 0, len(self._entries)
        while low < high:
            middle = (low + high) // 2
            if self._entries[middle].id < entry_id:
                low = middle + 1
            else:
                high = middle
        return low

    def get(self, entry_id: int) -> Exchange | None:
        position = self._index(entry_id)
        if position < len(self._entries) and self._entries[position].id == entry_id:
            return self._entries[position]
        return None

    def page(self, *, since: int = 0, before: int | None = None, limit: int) -> list[Exchange]:
        """At most ``limit`` entries with ``since < id < before``: the oldest ones after
        ``since``, or the newest ones when only ``before`` is given."""
        start = self._index(since + 1)
        end = len(self._entries) if before is None else self._index(before)
        if end <= start:
            return []
        if since == 0 and before is not None:
            start = max(start, end - limit)
        else:
            end = min(end, start + limit)
        return [self._entries[i] for i in range(start, end)]

    def clear(self) -> None:
        self._entries.clear()
        self._notify("clear", None)

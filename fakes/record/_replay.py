"""Serve cassettes: match each request to a recorded one and play its chunks back in time."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive, Scope, Send

from fakes.http.capture import DEFAULT_MAX_BODY
from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.http.jsonlimit import too_deep
from fakes.record._cassette import Cassette, Interaction
from fakes.record._errors import read_or_refuse, send_error
from fakes.record._pace import paced
from fakes.record._redact import MARK, Redactor

# Fields that differ between otherwise identical calls and say nothing about the answer.
DEFAULT_IGNORED = frozenset({"user", "metadata", "request_id"})
NOT_REPLAYED = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date"}
)


def differences(recorded: Any, received: Any, where: str = "body") -> list[str]:
    """Where two JSON values differ, as readable dotted paths."""
    if isinstance(recorded, dict) and isinstance(received, dict):
        found = []
        for key in sorted(set(recorded) | set(received), key=str):
            if key not in received:
                found.append(f"{where}.{key} is missing (recorded {_short(recorded[key])})")
            elif key not in recorded:
                found.append(f"{where}.{key} was not recorded (got {_short(received[key])})")
            else:
                found += differences(recorded[key], received[key], f"{where}.{key}")
        return found
    if isinstance(recorded, list) and isinstance(received, list):
        if len(recorded) != len(received):
            return [f"{where} has {len(received)} items, recorded {len(recorded)}"]
        found = []
        for index, (a, b) in enumerate(zip(recorded, received, strict=True)):
            found += differences(a, b, f"{where}[{index}]")
        return found
    if recorded != received:
        return [f"{where}: got {_short(received)}, recorded {_short(recorded)}"]
    return []


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, bytes) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def without_redacted(value: Any) -> Any:
    """A JSON value without the fields redaction blanked: a recording made with a secret
    must replay for a caller that has none (CI), and a caller's key never has to match."""
    if isinstance(value, dict):
        return {k: without_redacted(v) for k, v in value.items() if v != MARK}
    if isinstance(value, list):
        return [without_redacted(v) for v in value]
    return value


def query_without_redacted(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if v != MARK]


@dataclass
class _Slot:
    interaction: Interaction
    body: Any  # the request's JSON without ignored and redacted fields (or raw bytes)
    query: list[tuple[str, str]]  # without redacted parameters
    used: int = 0


class NoMatch(LookupError):
    pass


class Replayer:
    """Repeated identical requests get the recorded answers in order; then the last repeats."""

    def __init__(
        self,
        cassettes: Iterable[Cassette],
        *,
        speed: float = 1.0,
        ignore: Iterable[str] = DEFAULT_IGNORED,
        redactor: Redactor | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        on_request: Callable[[str, str, Interaction | None, str], None] | None = None,
    ) -> None:
        """``on_request(method, path, interaction, miss reason)`` hears of every request:
        the interaction replayed, or None and why nothing matched."""
        if speed < 0:
            raise ValueError("speed must be 0 (instant) or more")
        self.speed = speed
        self.max_body = max_body
        self.ignore = frozenset(ignore)
        self.redactor = redactor or Redactor()
        self.on_request = on_request
        self.slots = [
            _Slot(
                item,
                self._normalized(item.json_body(), item.request_body),
                query_without_redacted(item.query),
            )
            for cassette in cassettes
            for item in cassette.interactions
        ]

    def _normalized(self, value: Any, raw: bytes) -> Any:
        if isinstance(value, dict):
            return without_redacted({k: v for k, v in value.items() if k not in self.ignore})
        return without_redacted(value) if value is not None else raw

    def match(self, method: str, path: str, query: str, body: bytes) -> Interaction:
        # the incoming request is redacted the way the recording was, so keys still match
        body = self.redactor.body(body)
        query = self.redactor.query(query)
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        if too_deep(parsed):
            parsed = None  # matched as bytes, like any body that is not JSON
        wanted = self._normalized(parsed, body)
        pairs = query_without_redacted(query)
        same = [
            s
            for s in self.slots
            if s.interaction.method == method
            and s.interaction.path == path
            and s.query == pairs
            and s.body == wanted
        ]
        if same:
            slot = next((s for s in same if s.used == 0), same[-1])  # used up: the last again
            slot.used += 1
            return slot.interaction
        raise NoMatch(self._explain(method, path, query, wanted))

    def _explain(self, method: str, path: str, query: str, wanted: Any) -> str:
        head = f"llm-fakes replay: no recorded interaction matches {method} {path}"
        if not self.slots:
            return head + "; the cassettes are empty"
        scored = []
        for position, slot in enumerate(self.slots):
            item = slot.interaction
            why = []
            if item.method != method:
                why.append(f"method {item.method}")
            if item.path != path:
                why.append(f"path {item.path}")
            if slot.query != query_without_redacted(query):
                why.append(f"query {item.query!r}")
            why += differences(slot.body, wanted)
            scored.append((len(why), position, item, why))
        _, position, item, why = min(scored, key=lambda s: (s[0], s[1]))
        listed = "; ".join(why[:4]) + ("; ..." if len(why) > 4 else "")
        return (
            f"{head}. Closest: #{position + 1} {item.method} {item.path}, which differs: {listed}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        too_large = f"Request body exceeds the fake's limit of {self.max_body} bytes"
        body = await read_or_refuse(receive, send, self.max_body, too_large)
        if body is None:
            return
        try:
            item = self.match(
                scope["method"], scope["path"], scope.get("query_string", b"").decode(), body
            )
        except NoMatch as exc:
            if self.on_request is not None:
                self.on_request(scope["method"], scope["path"], None, str(exc))
            await send_error(send, 404, str(exc), "llm_fakes_no_match")
            return
        if self.on_request is not None:
            self.on_request(scope["method"], scope["path"], item, "")
        headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in item.response_headers.items()
            if k.lower() not in NOT_REPLAYED
        ]
        response = EventStreamResponse(self._play(item), status=item.status, headers=headers)
        await response(scope, receive, send)

    async def _play(self, item: Interaction) -> AsyncGenerator[bytes | _Cut, None]:
        async for data in paced(item.chunks, self.speed):
            yield data
        if not item.complete:
            yield CUT

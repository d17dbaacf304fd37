"""Secret redaction, applied to every interaction before it is written anywhere.

Redaction is on by default and user patterns only add to it (never replace it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from fakes.jsonlimit import too_deep
from fakes.record._cassette import Chunk, Interaction
from fakes.requestlog import SECRET_HEADERS

MARK = "[redacted]"
SECRET_RESPONSE_HEADERS = frozenset({"set-cookie"})
SECRET_FIELDS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "x-api-key",
        "access_token",
        "refresh_token",
        "client_secret",
        "secret",
        "password",
        "authorization",
        "master_key",
    }
)
SECRET_QUERY = frozenset({"key", "api_key", "api-key", "apikey", "token", "access_token", "sig"})
# JSON too deep to walk: secret fields are found in the text instead
_SECRET_FIELD_TEXT = re.compile(
    rb'("(?i:' + "|".join(re.escape(f) for f in sorted(SECRET_FIELDS)).encode() + rb')"\s*:\s*)'
    rb'(?:"(?:[^"\\]|\\.)*"|[^,}\]\s]+)'
)
# Key shapes seen in LLM traffic: OpenAI/LiteLLM (sk-...), Hugging Face, AWS, bearer tokens.
DEFAULT_PATTERNS = (
    r"sk-[A-Za-z0-9_\-]{8,}",
    r"hf_[A-Za-z0-9]{16,}",
    r"AKIA[0-9A-Z]{16}",
    r"(?<=Bearer )[A-Za-z0-9._~+/\-]{8,}=*",
)


@dataclass(frozen=True)
class Redactor:
    extra_patterns: tuple[str, ...] = ()
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = []
        for pattern in (*DEFAULT_PATTERNS, *self.extra_patterns):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                raise ValueError(f"invalid redaction pattern {pattern!r}: {exc}") from None
        object.__setattr__(self, "_compiled", tuple(patterns))

    def describe(self) -> list[str]:
        return [
            "headers: " + ", ".join(sorted(SECRET_HEADERS | SECRET_RESPONSE_HEADERS)),
            "query parameters: " + ", ".join(sorted(SECRET_QUERY)),
            "JSON fields: " + ", ".join(sorted(SECRET_FIELDS)),
            *(f"pattern: {p}" for p in (*DEFAULT_PATTERNS, *self.extra_patterns)),
        ]

    def text(self, value: str) -> str:
        for pattern in self._compiled:
            value = pattern.sub(MARK, value)
        return value

    def data(self, value: bytes) -> bytes:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            return value
        redacted = self.text(text)
        return value if redacted == text else redacted.encode("utf-8")

    def headers(self, headers: dict[str, str], names: Iterable[str]) -> dict[str, str]:
        secret = {n.lower() for n in names}
        return {k: MARK if k.lower() in secret else self.text(v) for k, v in headers.items()}

    def query(self, query: str) -> str:
        if not query:
            return query
        pairs = parse_qsl(query, keep_blank_values=True)
        cleaned = [(k, MARK if k.lower() in SECRET_QUERY else self.text(v)) for k, v in pairs]
        return urlencode(cleaned, safe="[]") if cleaned != pairs else query

    def body(self, body: bytes) -> bytes:
        body = self.data(body)
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            return body
        if too_deep(value):
            return _SECRET_FIELD_TEXT.sub(rb'\1"' + MARK.encode() + rb'"', body)
        cleaned = _fields(value)
        return body if cleaned == value else orjson.dumps(cleaned)

    def path(self, path: str) -> str:
        return self.text(path)

    def interaction(self, item: Interaction) -> Interaction:
        return replace(
            item,
            path=self.path(item.path),
            query=self.query(item.query),
            request_headers=self.headers(item.request_headers, SECRET_HEADERS),
            request_body=self.body(item.request_body),
            response_headers=self.headers(
                item.response_headers, SECRET_HEADERS | SECRET_RESPONSE_HEADERS
            ),
            chunks=tuple(Chunk(c.offset, self.data(c.data)) for c in item.chunks),
        )


def _fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MARK if isinstance(k, str) and k.lower() in SECRET_FIELDS else _fields(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fields(v) for v in value]
    return value

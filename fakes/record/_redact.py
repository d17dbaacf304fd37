"""Secret redaction, applied to every interaction before it is written anywhere.

Redaction is on by default and user patterns only add to it (never replace it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from fakes.http.jsonlimit import too_deep
from fakes.http.requestlog import SECRET_HEADERS
from fakes.record._cassette import Chunk, Interaction

MARK = "[redacted]"
MIN_SECRET = 8  # shorter values ("none", "test") are not hunted for: they match everywhere
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

    def url(self, url: str) -> str:
        """A URL fit to show or store: no user or password, secret query values blanked."""
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MARK + "@" + netloc.rpartition("@")[2]
        return urlunsplit(
            (parts.scheme, netloc, self.text(parts.path), self.query(parts.query), "")
        )

    def secrets(self, headers: dict[str, str], query: str, body: bytes) -> set[str]:
        """The secret values a request carries (key headers, key query parameters, key JSON
        fields): wherever else they turn up (an error echoing the request, a redirect, a
        path) they are blanked too."""
        found: set[str] = set()
        for name, value in headers.items():
            if name.lower() not in SECRET_HEADERS:
                continue
            found.add(value.strip())
            found.add(value.partition(" ")[2].strip())  # the token after "Bearer "
            if name.lower() == "cookie":
                found.update(part.partition("=")[2].strip() for part in value.split(";"))
        found.update(
            v for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() in SECRET_QUERY
        )
        try:
            parsed: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        if parsed is not None and not too_deep(parsed):
            found.update(_field_values(parsed))
        return {s for s in found if len(s) >= MIN_SECRET and MARK not in s}

    def scrub(self, data: bytes, secrets: set[str]) -> bytes:
        for secret in sorted(secrets, key=len, reverse=True):
            for form in {secret.encode(), orjson.dumps(secret)[1:-1]}:  # as sent, JSON-escaped
                data = data.replace(form, MARK.encode())
        return data

    def _scrub_text(self, text: str, secrets: set[str]) -> str:
        return self.scrub(text.encode("utf-8", "surrogateescape"), secrets).decode(
            "utf-8", "surrogateescape"
        )

    def interaction(self, item: Interaction) -> Interaction:
        secrets = self.secrets(item.request_headers, item.query, item.request_body)

        def headers(values: dict[str, str], names: frozenset[str]) -> dict[str, str]:
            cleaned = self.headers(values, names)
            return {k: self._scrub_text(v, secrets) for k, v in cleaned.items()}

        return replace(
            item,
            path=self._scrub_text(self.path(item.path), secrets),
            query=self._scrub_text(self.query(item.query), secrets),
            request_headers=headers(item.request_headers, SECRET_HEADERS),
            request_body=self.scrub(self.body(item.request_body), secrets),
            response_headers=headers(
                item.response_headers, SECRET_HEADERS | SECRET_RESPONSE_HEADERS
            ),
            # a secret split across two chunks is only caught by the key-shape patterns
            chunks=tuple(
                Chunk(c.offset, self.scrub(self.data(c.data), secrets)) for c in item.chunks
            ),
        )

    def exchange(self, view: dict[str, Any]) -> dict[str, Any]:
        """A request log entry (``Exchange.to_json()``) fit for a report: secret query
        values and JSON fields blanked, and those values and key shapes blanked everywhere."""
        body = orjson.dumps(view["json"]) if view.get("json") is not None else b""
        secrets = self.secrets(view.get("headers") or {}, view.get("query") or "", body)
        raw = self.scrub(orjson.dumps(view), secrets)
        # key shapes never contain a quote or a backslash: the JSON text stays JSON
        cleaned: dict[str, Any] = orjson.loads(self.text(raw.decode("utf-8")))
        cleaned["query"] = self.query(cleaned.get("query") or "")
        if cleaned.get("json") is not None:
            cleaned["json"] = _fields(cleaned["json"])
        return cleaned


def _field_values(value: Any) -> list[str]:
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and key.lower() in SECRET_FIELDS:
                    if isinstance(child, str | int | float) and not isinstance(child, bool):
                        found.append(str(child))
                else:
                    stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MARK if isinstance(k, str) and k.lower() in SECRET_FIELDS else _fields(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fields(v) for v in value]
    return value

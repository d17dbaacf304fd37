"""The cassette format: JSON Lines, a versioned header, then one interaction per line.

Response bodies are kept as the chunks the upstream sent, each with its time offset from the
start of the response, so SSE framing (CRLF, comments, split events) and cut connections
survive a round trip byte for byte. Text chunks are stored as text, anything that is not
UTF-8 as base64.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from fakes.http.jsonlimit import too_deep

FORMAT = "llm-fakes-cassette"
VERSION = 1


class CassetteError(ValueError):
    """A cassette that cannot be read; the message names the file and line."""


class Chunk(NamedTuple):
    """One network chunk (a tuple: thousands are built per long stream, so it must be cheap)."""

    offset: float  # seconds since the response started
    data: bytes


@dataclass(frozen=True)
class Interaction:
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    chunks: tuple[Chunk, ...]
    complete: bool = True  # False: the upstream dropped the connection before the end
    started: float = 0.0  # seconds since the recording started

    @property
    def body(self) -> bytes:
        return b"".join(chunk.data for chunk in self.chunks)

    def json_body(self) -> Any:
        try:
            value = orjson.loads(self.request_body) if self.request_body else None
        except orjson.JSONDecodeError:
            return None
        return None if too_deep(value) else value  # too deep: matched as bytes


@dataclass
class Header:
    upstream: str = ""
    redacted: list[str] = field(default_factory=list)
    created: str = ""
    source: str = "record"  # record | vcrpy | har

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "upstream": self.upstream,
            "redacted": self.redacted,
            "created": self.created,
            "source": self.source,
        }


def _bytes_field(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _read_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"]).encode("utf-8")
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError:
            raise CassetteError(f"{where}: invalid base64") from None
    raise CassetteError(f"{where}: expected {{'text': ...}} or {{'base64': ...}}")


def _chunk(value: Any, where: str, index: int) -> Chunk:
    text = value.get("text") if isinstance(value, dict) else None
    if isinstance(text, str):  # the common case, without building an error location
        return Chunk(float(value["offset"]), text.encode("utf-8"))
    return Chunk(float(value["offset"]), _read_bytes(value, f"{where}, chunk {index}"))


def interaction_to_json(item: Interaction) -> dict[str, Any]:
    return {
        "started": round(item.started, 6),
        "request": {
            "method": item.method,
            "path": item.path,
            "query": item.query,
            "headers": item.request_headers,
            "body": _bytes_field(item.request_body),
        },
        "response": {
            "status": item.status,
            "headers": item.response_headers,
            "chunks": [
                {"offset": round(chunk.offset, 6), **_bytes_field(chunk.data)}
                for chunk in item.chunks
            ],
            "complete": item.complete,
        },
    }


def interaction_from_json(value: Any, where: str) -> Interaction:
    try:
        request, response = value["request"], value["response"]
        chunks = tuple(_chunk(c, where, i) for i, c in enumerate(response["chunks"]))
        return Interaction(
            method=str(request["method"]).upper(),
            path=str(request["path"]),
            query=str(request.get("query", "")),
            request_headers={str(k): str(v) for k, v in request.get("headers", {}).items()},
            request_body=_read_bytes(request["body"], f"{where}, request body"),
            status=int(response["status"]),
            response_headers={str(k): str(v) for k, v in response.get("headers", {}).items()},
            chunks=chunks,
            complete=bool(response.get("complete", True)),
            started=float(value.get("started", 0.0)),
        )
    except CassetteError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CassetteError(f"{where}: not an interaction ({type(exc).__name__}: {exc})") from None


@dataclass
class Cassette:
    header: Header
    interactions: list[Interaction]
    path: Path | None = None


# Parsed cassettes by (path, modification time, size): a suite that replays the same file
# in every test parses it once. Interactions are immutable, so sharing them is safe.
_PARSED: dict[tuple[str, int, int], tuple[Header, tuple[Interaction, ...]]] = {}
_PARSED_LIMIT = 64


def load(path: Path | str) -> Cassette:
    path = Path(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _PARSED:
            header, items = _PARSED[key]
            return Cassette(replace(header, redacted=list(header.redacted)), list(items), path)
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise CassetteError(f"{path}: {exc.strerror or exc}") from None
    cassette = _parse(path, lines)
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = (cassette.header, tuple(cassette.interactions))
    return cassette


def _parse(path: Path, lines: list[bytes]) -> Cassette:
    if not lines:
        raise CassetteError(f"{path}:1: empty file, expected a cassette header")
    header = _header(lines[0], f"{path}:1")
    interactions = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise CassetteError(f"{where}: not JSON ({exc}); the file may be truncated") from None
        interactions.append(interaction_from_json(value, where))
    return Cassette(header, interactions, path)


def _header(line: bytes, where: str) -> Header:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise CassetteError(f"{where}: not a cassette header (not JSON)") from None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise CassetteError(f"{where}: not a cassette header (format is not {FORMAT!r})")
    version = value.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CassetteError(
            f"{where}: cassette version {version!r} is newer than this llm-fakes reads "
            f"(up to {VERSION}); upgrade llm-fakes"
        )
    return Header(
        upstream=str(value.get("upstream", "")),
        redacted=[str(r) for r in value.get("redacted", [])],
        created=str(value.get("created", "")),
        source=str(value.get("source", "record")),
    )


def dumps(header: Header, interactions: Iterable[Interaction]) -> bytes:
    lines = [orjson.dumps(header.to_json())]
    lines += [orjson.dumps(interaction_to_json(item)) for item in interactions]
    return b"\n".join(lines) + b"\n"


def save(path: Path | str, header: Header, interactions: Sequence[Interaction]) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644  # mkstemp makes 0600
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(dumps(header, interactions))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append(path: Path | str, item: Interaction) -> None:
    """Add one interaction at the end, in one write of one whole line, then fsync: the file
    is a valid cassette before and after, and a long session costs one line per exchange
    (never a rewrite of everything recorded so far)."""
    line = orjson.dumps(interaction_to_json(item)) + b"\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        written = os.write(descriptor, line)
        while written < len(line):  # only on a full disk or an odd file system
            written += os.write(descriptor, line[written:])
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

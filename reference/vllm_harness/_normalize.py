"""Normalize a response body (ids' random parts, ``created``, timing) and diff two of them by
JSON path, comparing values and key order. Used by run.py and by the replay test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

# A random id keeps its prefix and its length: "chatcmpl-" + 16 hex and + 32 hex differ.
_ID = re.compile(
    rb'"(id|item_id|call_id|response_id|system_fingerprint)":(\s*)"([^"]*?)'
    rb'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-fA-F]{8,})"'
)
_TIME = re.compile(rb'"(created|created_at|completed_at)":(\s*)\d+(\.\d+)?')
# token ids are the model's vocabulary (the harness's tiny tokenizer, the fake's none): their
# number is compared, not their values
_PROMPT_IDS = re.compile(rb'"prompt_token_ids":(\s*)\[([0-9,\s]+)\]')
# FastAPI's validation message names the endpoint's file: never a machine path on disk
_SITE = re.compile(rb'File \\"[^"\\]*/site-packages/')


def _id(match: re.Match[bytes]) -> bytes:
    key, space, prefix, random = match.groups()
    return b'"%s":%s"%s<hex%d>"' % (key, space, prefix, len(random))


def scrub(body: bytes) -> bytes:
    return _SITE.sub(rb'File \\"<site-packages>/', body)


def _prompt_ids(match: re.Match[bytes]) -> bytes:
    space, ids = match.groups()
    return b'"prompt_token_ids":%s[%s]' % (space, re.sub(rb"\d+", b"0", ids))


def normalize(body: bytes) -> bytes:
    body = _PROMPT_IDS.sub(_prompt_ids, _ID.sub(_id, scrub(body)))
    return _TIME.sub(rb'"\1":\g<2>0', body)


@dataclass(frozen=True)
class Event:
    fields: list[tuple[str, str]]  # (name, value) lines other than data
    data: Any  # parsed JSON, or the raw text ("[DONE]")


def sse_events(body: bytes) -> list[Event]:
    events = []
    for block in body.decode("utf-8", "replace").split("\n\n"):
        if not block.strip():
            continue
        fields: list[tuple[str, str]] = []
        data: list[str] = []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            else:
                fields.append((name, value))
        text = "\n".join(data)
        try:
            parsed: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = text
        events.append(Event(fields, parsed))
    return events


def _diff(real: Any, fake: Any, path: str, out: list[str]) -> None:
    if isinstance(real, dict) and isinstance(fake, dict):
        for key in real:
            if key not in fake:
                out.append(f"{path}.{key}: real has it ({_short(real[key])}), the fake has not")
        for key in fake:
            if key not in real:
                out.append(f"{path}.{key}: the fake has it ({_short(fake[key])}), real has not")
        for key in real:
            if key in fake:
                _diff(real[key], fake[key], f"{path}.{key}", out)
        shared_real = [k for k in real if k in fake]
        shared_fake = [k for k in fake if k in real]
        if shared_real != shared_fake:
            out.append(f"{path}: key order real {shared_real} vs fake {shared_fake}")
        return
    if isinstance(real, list) and isinstance(fake, list):
        if len(real) != len(fake):
            out.append(f"{path}: real has {len(real)} items, the fake {len(fake)}")
        for index, (a, b) in enumerate(zip(real, fake, strict=False)):
            _diff(a, b, f"{path}[{index}]", out)
        return
    if real != fake or type(real) is not type(fake):
        out.append(f"{path}: real {_short(real)} vs fake {_short(fake)}")


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:117] + "..."


def differences(real: bytes, fake: bytes, *, streamed: bool) -> list[str]:
    """Every difference between two bodies after normalizing, by JSON path ($ is the body,
    $[i] the i-th SSE event); bytes that differ only in layout are reported as such."""
    real, fake = normalize(real), normalize(fake)
    if real == fake:
        return []
    out: list[str] = []
    if streamed:
        a, b = sse_events(real), sse_events(fake)
        if len(a) != len(b):
            out.append(f"$: real sent {len(a)} events, the fake {len(b)}")
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            if x.fields != y.fields:
                out.append(f"$[{index}] fields: real {x.fields} vs fake {y.fields}")
            _diff(x.data, y.data, f"$[{index}]", out)
    else:
        try:
            _diff(orjson.loads(real), orjson.loads(fake), "$", out)
        except orjson.JSONDecodeError:
            out.append(f"$: real {real[:200]!r} vs fake {fake[:200]!r}")
    if not out:
        out.append(f"$: same JSON, different bytes: real {real[:160]!r} vs fake {fake[:160]!r}")
    return out

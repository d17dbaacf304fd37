"""JSON as Go's encoding/json writes it: compact, HTML characters escaped, maps sorted."""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """``json.Marshal``: struct fields keep their order (dicts built in that order); a Go
    ``map[string]any`` is written with sorted keys (``sort_keys``)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def encode(value: Any, *, sort_keys: bool = False) -> bytes:
    """``json.NewEncoder(w).Encode``: the marshalled value and a newline."""
    return (dumps(value, sort_keys=sort_keys) + "\n").encode()

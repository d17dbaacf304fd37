"""Ordered JSON object shapes: the profile decides which keys exist and in what order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fakes.types import JSONObject

_MISSING = object()


def shaped(
    keys: Sequence[str], values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> JSONObject:
    """Build an object with exactly ``keys`` in order.

    A key takes its value from ``values``, else from ``defaults``, else null. Values for
    keys the shape does not list are dropped: a release that lacks a field never sends it.
    """
    out: JSONObject = {}
    for key in keys:
        value = values.get(key, _MISSING)
        if value is _MISSING:
            value = defaults.get(key)
        out[key] = value
    return out

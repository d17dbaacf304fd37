"""Type aliases shared across the fakes."""

from __future__ import annotations

from typing import Any, TypeAlias

JSONObject: TypeAlias = dict[str, Any]
JSONValue: TypeAlias = Any

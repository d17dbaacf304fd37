"""How deep a JSON value the fakes accept: orjson writes at most 254 levels, Python's own
json and repr stop near 1000, so anything deeper would fail later as a 500. Checked once,
where a body is parsed, without recursion."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 200
TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False

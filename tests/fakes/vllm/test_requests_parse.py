"""parse_json reads with orjson and falls back to the stdlib parser: the values, and the
errors' texts, are the stdlib's (FastAPI's) for any input."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.vllm._requests import _JsonInvalid, parse_json

_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text()
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _stdlib(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return type(exc)


def _ours(raw: bytes) -> Any:
    try:
        return parse_json(raw)
    except _JsonInvalid:
        return "invalid"


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, float) and math.isnan(theirs):
        return isinstance(ours, float) and math.isnan(ours)
    return type(ours) is type(theirs) and ours == theirs


@settings(max_examples=300, deadline=None)
@given(_values)
def test_a_json_value_reads_as_the_stdlib_reads_it(value: Any) -> None:
    raw = json.dumps(value).encode()
    ours = parse_json(raw)
    assert ours == json.loads(raw)
    assert json.dumps(ours) == json.dumps(json.loads(raw))  # types too (int stays int)


@pytest.mark.parametrize(
    "raw",
    [
        b"123456789012345678901234567890",  # orjson would read a float
        b'{"max_tokens": -9223372036854775809}',
        b"1e400",
        b"NaN",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        b'{"a": 1, "a": 2}',
    ],
)
def test_what_orjson_refuses_or_misreads_is_read_by_the_stdlib(raw: bytes) -> None:
    assert _same(_ours(raw), _stdlib(raw))


@pytest.mark.parametrize("raw", [b"", b"{", b"[1,]", b"\xff", b'{"a" 1}'])
def test_bad_json_carries_the_stdlib_message(raw: bytes) -> None:
    with pytest.raises(_JsonInvalid) as caught:
        parse_json(raw)
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        assert caught.value.errors[0]["ctx"]["error"] == exc.msg
        assert caught.value.errors[0]["loc"] == ("body", exc.pos)
    except UnicodeDecodeError:
        assert caught.value.errors[0]["ctx"]["error"] == "Invalid UTF-8 in request body"


def test_nesting_past_the_limit_is_refused_after_orjson_reads_it() -> None:
    with pytest.raises(_JsonInvalid):
        parse_json(b"[" * 201 + b"]" * 201)
    assert parse_json(b"[" * 200 + b"]" * 200) is not None

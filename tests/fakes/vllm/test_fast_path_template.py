"""A template bound to one body (the prompt's count and the number slots filled once) gives
the bytes the unbound template gives for the same values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fakes.vllm.fast._template import (
    CREATED_SENTINEL,
    ID_SENTINEL,
    MORE_NUMBERS,
    MORE_STRINGS,
    PROMPT_SENTINEL,
    Template,
)

_SLOTS = [
    ID_SENTINEL.encode(),
    str(CREATED_SENTINEL).encode(),
    *(str(PROMPT_SENTINEL + offset).encode() for offset in (0, 1, 250)),
    *(sentinel.encode() for sentinel in MORE_STRINGS),
    *(str(sentinel).encode() for sentinel in MORE_NUMBERS),
]
# literal text between the slots, a % in each, quotes at the edges (a digit next to a number
# sentinel would make it another number); values with a % too: neither is a placeholder
_literal = st.binary(max_size=8).map(lambda b: b'"' + b + b'%"')
_value = st.binary(max_size=6).map(lambda b: b + b"%")


@given(
    st.lists(st.tuples(_literal, st.sampled_from(_SLOTS)), max_size=8),
    _literal,
    st.integers(0, 10**6),
    st.lists(_value, min_size=2 + len(MORE_STRINGS), max_size=2 + len(MORE_STRINGS)),
    st.lists(_value, min_size=len(MORE_NUMBERS), max_size=len(MORE_NUMBERS)),
)
def test_a_bound_template_fills_as_the_template_does(
    parts: list[tuple[bytes, bytes]],
    tail: bytes,
    prompt: int,
    drawn: list[bytes],
    numbers: list[bytes],
) -> None:
    rendered = b"".join(literal + slot for literal, slot in parts) + tail
    template = Template(rendered)
    ident, created, *strings = drawn
    expected = template.fill(ident, created, prompt, *strings, *numbers)
    assert template.bind(prompt, tuple(numbers)).fill(tuple(drawn)) == expected
    assert not any(sentinel in expected for sentinel in _SLOTS)  # every slot was filled


def test_a_template_without_slots_binds_to_its_bytes() -> None:
    assert Template(b'{"a":"100%"}').bind(7, ()).fill((b"id", b"1")) == b'{"a":"100%"}'


def test_one_slot_takes_its_value_alone() -> None:
    template = Template(b'{"id":"' + ID_SENTINEL.encode() + b'","n":' + b"5" + b"}")
    assert template.bind(3, ()).fill((b"x%y", b"1")) == b'{"id":"x%y","n":5}'

"""Byte templates with slots: the reference writers render an answer once with sentinel
values for the id, "created" and the prompt's token count; each request then only joins
bytes. A slot is found by its sentinel, so no writer needs to know about templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from fakes.vllm._state import VllmState

# Sentinels no plain answer contains: a string for the id, 13 and 16 digit integers for
# "created" and the prompt tokens (totals are that plus the completion tokens).
ID_SENTINEL: Final = "fastPathIdSlot0x"
CREATED_SENTINEL: Final = 7_777_777_777_777
PROMPT_SENTINEL: Final = 5_000_000_000_000_000
_OFFSET_DIGITS = 9  # a total may exceed the prompt by less than 10**9 tokens
# More slots, for answers with several per-request values (/v1/responses: item ids, a default
# max_output_tokens): strings the writers put inside JSON strings, and 13-digit integers.
MORE_STRINGS: Final = tuple(f"fastPathMoreSlot{n}x" for n in range(8))
MORE_NUMBERS: Final = tuple(6_666_666_666_660 + n for n in range(2))
_MORE = {
    **{sentinel.encode(): n for n, sentinel in enumerate(MORE_STRINGS)},
    **{str(sentinel).encode(): len(MORE_STRINGS) + n for n, sentinel in enumerate(MORE_NUMBERS)},
}

_SLOTS = re.compile(
    rb"(?P<id>"
    + ID_SENTINEL.encode()
    + rb")"
    + rb"|(?P<more>"
    + b"|".join(sentinel.encode() for sentinel in MORE_STRINGS)
    + b"|"
    + b"|".join(rb"(?<!\d)" + str(sentinel).encode() + rb"(?!\d)" for sentinel in MORE_NUMBERS)
    + rb")"
    rb"|(?<!\d)(?P<created>" + str(CREATED_SENTINEL).encode() + rb")(?!\d)"
    rb"|(?<!\d)"
    + str(PROMPT_SENTINEL)[:-_OFFSET_DIGITS].encode()
    + rb"(?P<offset>\d{"
    + str(_OFFSET_DIGITS).encode()
    + rb"})(?!\d)"
)

# How a slot is kept: None is the id, _CREATED "created", _MORE_FIRST - n the n-th
# more-slot, and a number >= 0 the prompt's count plus that offset.
_CREATED = -1
_MORE_FIRST = -2


def has_slot(text: str) -> bool:
    """Whether ``text`` holds a sentinel: echoed into an answer, it would be taken for a slot."""
    return _SLOTS.search(text.encode("utf-8", "surrogatepass")) is not None


class Template:
    """The rendered bytes as a %-format: the literal parts escaped, a placeholder per slot."""

    __slots__ = ("_format", "_pieces", "_slots")

    def __init__(self, rendered: bytes) -> None:
        pieces: list[bytes] = []
        slots: list[int | None] = []
        end = 0
        for found in _SLOTS.finditer(rendered):
            pieces.append(rendered[end : found.start()].replace(b"%", b"%%"))
            if found.group("id"):
                pieces.append(b"%s")
                slots.append(None)
            elif found.group("more"):
                pieces.append(b"%s")
                slots.append(_MORE_FIRST - _MORE[found.group("more")])
            elif found.group("created"):
                pieces.append(b"%s")
                slots.append(_CREATED)
            else:
                pieces.append(b"%d")
                slots.append(int(found.group("offset")))
            end = found.end()
        pieces.append(rendered[end:].replace(b"%", b"%%"))
        self._format = b"".join(pieces)
        self._pieces = tuple(pieces[::2])  # the literal parts, around each slot
        self._slots = tuple(slots)

    def fill(self, ident: bytes, created: bytes, prompt: int, *more: bytes) -> bytes:
        """``ident``: the id as it sits inside a JSON string (already escaped); ``more``: the
        more-slots' values by index (strings first, then numbers), as they go in."""
        return self._format % tuple(
            [
                ident
                if slot is None
                else prompt + slot
                if slot >= 0
                else created
                if slot == _CREATED
                else more[_MORE_FIRST - slot]
                for slot in self._slots
            ]
        )

    def bind(self, prompt: int, numbers: tuple[bytes, ...]) -> Bound:
        """This template with what one body fixes filled in: the prompt's count and the
        number more-slots (``numbers``, by index). What is left are the values drawn per
        request: the id, "created" and the string more-slots."""
        pieces = [self._pieces[0]]
        picks: list[int] = []  # where each placeholder's value sits in Bound.fill's values
        for slot, literal in zip(self._slots, self._pieces[1:], strict=True):
            if slot is not None and slot >= 0:  # digits: nothing to escape
                pieces[-1] += b"%d" % (prompt + slot)
            elif slot is not None and slot <= _MORE_FIRST - len(MORE_STRINGS):
                pieces[-1] += numbers[_MORE_FIRST - slot - len(MORE_STRINGS)].replace(b"%", b"%%")
            else:
                pieces[-1] += b"%s"
                picks.append(
                    0 if slot is None else 1 if slot == _CREATED else 2 + _MORE_FIRST - slot
                )
            pieces[-1] += literal
        return Bound(b"".join(pieces), tuple(picks))


class Bound:
    """A template bound to one body (see Template.bind): a request only joins its drawn
    values into it."""

    __slots__ = ("_format", "_pick")

    def __init__(self, format: bytes, picks: tuple[int, ...]) -> None:
        self._format = format
        # itemgetter of one index gives the value, not a 1-tuple: % takes a lone bytes alike
        self._pick: Callable[[tuple[bytes, ...]], Any] = itemgetter(*picks) if picks else _nothing

    def fill(self, values: tuple[bytes, ...]) -> bytes:
        """``values``: the id (as it sits inside a JSON string), "created", then the string
        more-slots by index."""
        filled: bytes = self._format % self._pick(values)
        return filled

    # a bound template renders a log entry's body from its values (Chunks.rendered_by)
    __call__ = fill


def _nothing(values: tuple[bytes, ...]) -> tuple[()]:
    return ()


@dataclass(frozen=True)
class Answer:
    """One shape's answer: the body (or each stream event) as a template, and what a
    request needs to know to use it."""

    body: Template | None  # non-streaming
    events: tuple[Template, ...]  # streaming, [DONE] excluded
    needed: int  # tokens the answer generates before any length cut
    completion_tokens: int
    finish_reason: str
    # the first string more-slots: this many new_hex() values, drawn right after the id
    hexes: int = 0
    # the string more-slots' values of one request, by index, drawn from the state's id
    # sources in the order the reference path draws them (after the id; hexes excludes them)
    draws: Callable[[VllmState], tuple[bytes, ...]] | None = None
    # the number more-slots' values, by index: they follow from the prompt's token count
    numbers: Callable[[VllmState, int], tuple[bytes, ...]] | None = None
    done: bool = True  # the stream ends with "data: [DONE]"

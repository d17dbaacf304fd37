"""Byte templates with slots: the reference writers render an answer once with sentinel
values for the id, "created" and the prompt's token count; each request then only joins
bytes. A slot is found by its sentinel, so no writer needs to know about templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Sentinels no plain answer contains: a string for the id, 13 and 16 digit integers for
# "created" and the prompt tokens (totals are that plus the completion tokens).
ID_SENTINEL: Final = "fastPathIdSlot0x"
CREATED_SENTINEL: Final = 7_777_777_777_777
PROMPT_SENTINEL: Final = 5_000_000_000_000_000
_OFFSET_DIGITS = 9  # a total may exceed the prompt by less than 10**9 tokens

_SLOTS = re.compile(
    rb"(?P<id>" + ID_SENTINEL.encode() + rb")"
    rb"|(?<!\d)(?P<created>" + str(CREATED_SENTINEL).encode() + rb")(?!\d)"
    rb"|(?<!\d)"
    + str(PROMPT_SENTINEL)[:-_OFFSET_DIGITS].encode()
    + rb"(?P<offset>\d{"
    + str(_OFFSET_DIGITS).encode()
    + rb"})(?!\d)"
)

_CREATED = -1  # prompt offsets are never negative


class Template:
    """The rendered bytes as a %-format: the literal parts escaped, a placeholder per slot."""

    __slots__ = ("_format", "_slots")

    def __init__(self, rendered: bytes) -> None:
        pieces: list[bytes] = []
        slots: list[int | None] = []  # None: the id; -1: "created"; else a prompt offset
        end = 0
        for found in _SLOTS.finditer(rendered):
            pieces.append(rendered[end : found.start()].replace(b"%", b"%%"))
            if found.group("id"):
                pieces.append(b"%s")
                slots.append(None)
            elif found.group("created"):
                pieces.append(b"%s")
                slots.append(_CREATED)
            else:
                pieces.append(b"%d")
                slots.append(int(found.group("offset")))
            end = found.end()
        pieces.append(rendered[end:].replace(b"%", b"%%"))
        self._format = b"".join(pieces)
        self._slots = tuple(slots)

    def fill(self, ident: bytes, created: bytes, prompt: int) -> bytes:
        """``ident``: the id as it sits inside a JSON string (already escaped)."""
        return self._format % tuple(
            [
                ident if slot is None else created if slot == _CREATED else prompt + slot
                for slot in self._slots
            ]
        )


@dataclass(frozen=True)
class Answer:
    """One shape's answer: the body (or each stream event) as a template, and what a
    request needs to know to use it."""

    body: Template | None  # non-streaming
    events: tuple[Template, ...]  # streaming, [DONE] excluded
    needed: int  # tokens the answer generates before any length cut
    completion_tokens: int
    finish_reason: str

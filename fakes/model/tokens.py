"""A deterministic stand-in tokenizer: stable counts without a model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# A token is a run of word characters or a single other visible character, with the
# whitespace before it: "Hello, world" -> ["Hello", ",", " world"]. The reference harness's tiny
# tokenizer splits with the same pattern, so a release's own counts can be compared.
PATTERN = r"\s*(?:\w+|[^\w\s])|\s+$"
_TOKEN = re.compile(PATTERN, re.UNICODE)


# A scripted or default answer is tokenized again for every request that gets it: the same
# short texts share one set of token strings (each open stream held its own, 1.4 KB for 20
# tokens). Longer texts, e.g. prompts, are split afresh and not kept.
_SHARED_UP_TO = 4096


@lru_cache(maxsize=128)
def _shared(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens that concatenate back to exactly ``text``."""
    if len(text) <= _SHARED_UP_TO:
        return list(_shared(text))
    return _TOKEN.findall(text)


def count(text: str) -> int:
    return len(tokenize(text))


def prompt_tokens(messages: Iterable[object]) -> int:
    """Tokens of a chat prompt: each message's role and text plus a fixed 3-token frame."""
    total = 0
    for message in messages:
        if not isinstance(message, dict):
            continue
        total += 3 + count(str(message.get("role", "")))
        total += count(text_of(message.get("content")))
    return total


def text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


class Vocabulary:
    """Token ids for pieces, handed out as pieces are first seen, so ids decode back."""

    FIRST_ID = 1000  # above the ids a small real vocabulary keeps for special tokens

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._pieces: dict[int, str] = {}

    def id(self, piece: str) -> int:
        found = self._ids.get(piece)
        if found is None:
            found = self._ids[piece] = self.FIRST_ID + len(self._ids)
            self._pieces[found] = piece
        return found

    def piece(self, token: int) -> str | None:
        return self._pieces.get(token)

"""A deterministic stand-in tokenizer: stable counts without a model."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A token is a run of word characters or a single other visible character, with the
# whitespace before it: "Hello, world" -> ["Hello", ",", " world"].
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+$", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens that concatenate back to exactly ``text``."""
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

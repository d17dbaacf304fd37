"""Where ``serve`` prints its banner. A terminal gets rich's console (colours); a pipe or a
file, as when a test harness starts a fake, gets the same plain text that rich would write
there, without importing rich (about 6 MiB of memory and 25 ms of start-up). Text whose plain
form this module cannot vouch for (escaped or unusual markup, emoji codes, control
characters) still goes through rich."""

from __future__ import annotations

import builtins
import os
import re
import sys
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console

# rich.markup.RE_TAGS: a tag, with the backslashes that may escape it
_TAGS = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")
# every ``:name:`` a colon starts (overlapping): rich replaces the known emoji codes
_EMOJI = re.compile(r"(?=:([^\s:]*):)")
# the characters of rich's emoji names (rich/_emoji_codes.py, matched lowercased)
_EMOJI_NAME = re.compile(r"[!#&()*+\-.0-9_a-zãåçéíô\u2019]+")
# rich removes or expands these (Text strips control codes, expands tabs)
_UNUSUAL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class Printer(Protocol):
    def print(
        self,
        text: str,
        *,
        style: str | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
    ) -> None: ...


def plain_text(text: str, markup: bool) -> str | None:
    """``text`` as rich prints it without colours, or None when only rich can tell."""
    if _UNUSUAL.search(text):
        return None
    for found in _EMOJI.finditer(text):
        name = found.group(1).lower().removesuffix("-emoji").removesuffix("-text")
        if _EMOJI_NAME.fullmatch(name):
            return None
    if not markup or "[" not in text:
        return text
    if "\\" in text:
        return None  # escapes: rich's own rules
    parts: list[str] = []
    end = depth = 0
    for found in _TAGS.finditer(text):
        escapes, tag = found.group(2), found.group(3)
        if escapes or tag.startswith("@") or (tag.startswith("/") and tag != "/"):
            return None  # escaped tags, handlers and named closing tags: rich's own rules
        if tag == "/":
            if not depth:
                return None  # rich refuses it (MarkupError)
            depth -= 1
        else:
            depth += 1
        parts.append(text[end : found.start()])
        end = found.end()
    parts.append(text[end:])
    return "".join(parts)


class PlainConsole:
    """rich's ``Console(stderr=True, soft_wrap=True)`` as it prints to a non-terminal."""

    def __init__(self) -> None:
        self._rich: Console | None = None

    def print(
        self,
        text: str,
        *,
        style: str | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
    ) -> None:
        plain = plain_text(text, markup is not False)
        if plain is None:
            if self._rich is None:
                from rich.console import Console

                self._rich = Console(stderr=True, soft_wrap=True)
            self._rich.print(text, style=style, markup=markup, highlight=highlight)
            return
        sys.stderr.write(plain + "\n")
        sys.stderr.flush()


def _rich_would_colour() -> bool:
    """rich's Console.is_terminal, for stderr: its environment switches, then isatty()."""
    if hasattr(builtins, "get_ipython") or "IPython" in sys.modules:
        return True  # a notebook: rich's own rules
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in {"0", "1"}:
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def terminal() -> Printer:
    """The console ``serve`` prints its banner to (stderr, lines never wrapped)."""
    if _rich_would_colour():
        from rich.console import Console

        return Console(stderr=True, soft_wrap=True)
    return PlainConsole()

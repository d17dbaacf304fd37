"""Split ``<think>…</think>`` at the start of content into reasoning, tags split over chunks."""

from __future__ import annotations

from contracts._model import Event, ReasoningDelta, TextDelta

OPEN, CLOSE = "<think>", "</think>"


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class ThinkSplitter:
    def __init__(self) -> None:
        self._state = "start"
        self._buffer = ""

    def feed(self, text: str) -> list[Event]:
        self._buffer += text
        out: list[Event] = []
        while self._buffer:
            if self._state == "start":
                stripped = self._buffer.lstrip()
                if stripped.startswith(OPEN):
                    self._buffer, self._state = stripped[len(OPEN) :], "think"
                elif OPEN.startswith(stripped):
                    break  # still could be "<think>"
                else:
                    self._state = "text"
            elif self._state == "think":
                end = self._buffer.find(CLOSE)
                if end >= 0:
                    if end:
                        out.append(ReasoningDelta(text=self._buffer[:end]))
                    self._buffer, self._state = self._buffer[end + len(CLOSE) :], "text"
                    continue
                keep = _partial_suffix(self._buffer, CLOSE)
                if len(self._buffer) > keep:
                    out.append(ReasoningDelta(text=self._buffer[: len(self._buffer) - keep]))
                self._buffer = self._buffer[len(self._buffer) - keep :]
                break
            else:
                out.append(TextDelta(text=self._buffer))
                self._buffer = ""
        return out

    def flush(self) -> list[Event]:
        rest, self._buffer = self._buffer, ""
        if not rest:
            return []
        return [ReasoningDelta(text=rest) if self._state == "think" else TextDelta(text=rest)]

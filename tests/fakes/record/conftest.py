from __future__ import annotations

import pytest

from fakes.record import _pace


class ReplayClock:
    """Stands in for the replay's clock and sleep: no real time passes, a sleep moves the
    clock on, and every sleep is logged (``("sleep", seconds)``); a test adds the chunks it
    receives to the same log (``("chunk", bytes)``), so the log is the replay's schedule."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.log: list[tuple[str, float | bytes]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.log.append(("sleep", seconds))
        self.now += seconds

    def sleeps(self) -> list[float]:
        return [value for kind, value in self.log if kind == "sleep"]  # type: ignore[misc]


@pytest.fixture
def replay_clock(monkeypatch: pytest.MonkeyPatch) -> ReplayClock:
    clock = ReplayClock()
    monkeypatch.setattr(_pace, "monotonic", clock.monotonic)
    monkeypatch.setattr(_pace, "sleep", clock.sleep)
    return clock

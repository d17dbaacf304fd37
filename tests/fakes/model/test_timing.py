from __future__ import annotations

import pytest

from fakes.model import timing
from fakes.model.timing import Clock, Pace, Timing


class _SlowLoop:
    """A clock whose every sleep wakes ``late`` seconds after it should."""

    def __init__(self, late: float) -> None:
        self.now = 100.0
        self.late = late

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + (self.late if seconds else 0.0)


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> _SlowLoop:
    loop = _SlowLoop(late=0.0003)
    monkeypatch.setattr(timing, "monotonic", loop.monotonic)
    monkeypatch.setattr(timing, "sleep", loop.sleep)
    return loop


async def test_lateness_does_not_add_up_over_a_stream(slow: _SlowLoop) -> None:
    clock, pace = Clock(Timing(ttft=0.05, itl=0.01)), Pace()
    start = slow.now
    await pace.first_token(clock)
    arrivals = [slow.now]
    for _ in range(199):
        await pace.next_token(clock)
        arrivals.append(slow.now)
    # sleeping itl after each late wake-up would end 200 x 0.3 ms = 60 ms late
    assert arrivals[-1] - start == pytest.approx(0.05 + 199 * 0.01, abs=0.0004)
    # and once the lateness is learnt, each token lands on its deadline
    assert arrivals[-1] - arrivals[-2] == pytest.approx(0.01, abs=1e-6)
    assert clock.lateness.value == pytest.approx(0.0003, abs=1e-5)


async def test_ttft_counts_from_arrival(slow: _SlowLoop) -> None:
    clock, pace = Clock(Timing(ttft=0.05, itl=0.01)), Pace()
    arrived = slow.now
    slow.now += 0.004  # parsing and planning the request
    await pace.first_token(clock, since=arrived)
    assert slow.now - arrived == pytest.approx(0.05 + 0.0003, abs=1e-6)


async def test_a_stall_restarts_the_count(slow: _SlowLoop) -> None:
    clock, pace = Clock(Timing(itl=0.01)), Pace()
    await pace.first_token(clock)
    slow.now += 1.0  # stalled by a fault
    pace.restart()
    before = slow.now
    await pace.next_token(clock)
    assert slow.now - before == pytest.approx(0.01 + 0.0003, abs=1e-4)


async def test_instant_timing_never_sleeps(slow: _SlowLoop) -> None:
    clock, pace = Clock(Timing()), Pace()
    before = slow.now
    await pace.first_token(clock)
    await pace.next_token(clock)
    assert slow.now == before

"""The fake's engine loop: prepared events go out at the release's pace (a slot among
--max-num-seqs, time to first token, inter-token latency), with mid-stream faults injected,
and the metrics learn of each finished request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from fakes.http.eventstream import CUT, _Cut
from fakes.model.faults import Fault, FaultKind
from fakes.model.timing import Pace
from fakes.vllm._plan import Plan
from fakes.vllm._state import VllmState


async def paced(
    state: VllmState,
    fault: Fault | None,
    chunks: list[bytes],
    *,
    started: float,
    model: str,
    plans: list[Plan],
    done: bytes | _Cut | None,
    error_payload: bytes | None,
) -> AsyncGenerator[bytes | _Cut, None]:
    """Emit prepared events with the fake's timing, injecting a mid-stream fault."""
    first: float | None = None
    pace = Pace()
    async with state.scheduler.slot() as waited:
        delayed = fault is not None and fault.kind is FaultKind.DELAY
        if fault is not None and delayed:
            await asyncio.sleep(fault.seconds)
        await pace.first_token(state.clock, None if waited or delayed else started)
        for position, chunk in enumerate(chunks):
            if fault is not None and position == fault.after_chunks:
                if fault.kind is FaultKind.ERROR_FRAME and error_payload is not None:
                    yield b"data: " + error_payload + b"\n\n"
                    if isinstance(done, bytes):
                        yield done
                    return
                if fault.kind is FaultKind.CUT:
                    yield CUT
                    return
                if fault.kind is FaultKind.STALL:
                    await asyncio.sleep(fault.seconds)
                    pace.restart()
            if position:
                if not state.clock.timing.instant:
                    await pace.next_token(state.clock)
            elif first is None:
                first = time.monotonic() - started
            yield chunk
        if isinstance(done, _Cut):
            finished(state, model, plans, started, first)  # generated, then the socket drops
            yield done
            return
        if done is not None:
            yield done
        finished(state, model, plans, started, first)


def finished(
    state: VllmState, model: str, plans: list[Plan], started: float, first: float | None
) -> None:
    state.metrics.finished(
        model,
        prompt=plans[0].prompt_tokens,
        generated=sum(p.completion_tokens for p in plans),
        reason=plans[0].finish_reason,
        ttft=first,
        e2e=time.monotonic() - started,
    )


async def wait_like_generation(state: VllmState, fault: Fault | None, plans: list[Plan]) -> None:
    if fault is not None and fault.kind in (FaultKind.DELAY, FaultKind.STALL):
        await asyncio.sleep(fault.seconds)
    if state.clock.timing.instant:
        return  # the profile showed this loop of no-op awaits in every instant answer
    pace = Pace()
    await pace.first_token(state.clock)
    for _ in range(max(p.completion_tokens for p in plans) - 1):
        await pace.next_token(state.clock)

from __future__ import annotations

from collections.abc import Iterator

import httpx

from contracts import DriverSpec, Event, Request, Result, Target, TextDelta, Usage, UsageReport
from contracts._backends import all_backends
from contracts._golden import observed
from contracts._runner import run_cell
from contracts.scenarios import SCENARIOS


class SyncChat:
    """A blocking driver (plain httpx.Client): the runner gives it a real socket."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = httpx.Client(timeout=5)

    def complete(self, request: Request) -> Result:
        body = self.client.post(
            self.target.base_url + "/chat/completions",
            json={"model": self.target.model, "messages": list(request.messages)},
        ).json()
        usage = body["usage"]
        return Result(
            text=body["choices"][0]["message"]["content"],
            finish_reason=body["choices"][0]["finish_reason"],
            usage=Usage(
                **{k: usage[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
            ),
        )

    def stream(self, request: Request) -> Iterator[Event]:
        yield TextDelta(text="unused")
        yield UsageReport(usage=Usage())

    def close(self) -> None:
        self.client.close()


async def test_a_sync_driver_runs_over_a_socket_and_passes() -> None:
    backend = next(b for b in all_backends() if b.name == "vllm-0.9")
    scenario = SCENARIOS.get("plain_completion")
    run = await run_cell(DriverSpec("sync", SyncChat, "sync"), scenario, backend)
    assert run.crash is None
    value = observed(run, scenario)
    assert value["text"] == "It is sunny in Paris, 21 degrees."
    assert run.exchanges[0]["path"] == "/v1/chat/completions"


async def test_a_crash_is_reported_with_its_exception() -> None:
    class Broken(SyncChat):
        def complete(self, request: Request) -> Result:
            raise ZeroDivisionError("nope")

    backend = next(b for b in all_backends() if b.name == "vllm-0.9")
    run = await run_cell(
        DriverSpec("broken", Broken, "x"), SCENARIOS.get("plain_completion"), backend
    )
    assert (run.result, run.crash) == (None, "ZeroDivisionError: nope")

"""Fold a driver's stream events into one Result, keeping partial output when it fails."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass, field

from contracts._model import (
    ContractError,
    EndpointUsed,
    Event,
    Failure,
    Finish,
    ReasoningDelta,
    Result,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageReport,
)


@dataclass
class _Call:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class Collector:
    """Accumulates events; usage takes the last report (cumulative usage must not be summed)."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Usage | None = None
    endpoint: str | None = None

    def add(self, event: Event) -> None:
        match event:
            case TextDelta(text=text):
                self.text.append(text)
            case ReasoningDelta(text=text):
                self.reasoning.append(text)
            case ToolCallDelta():
                call = self.calls.setdefault(event.index, _Call())
                if event.id and not call.id:
                    call.id = event.id
                if event.name and not call.name:
                    call.name = event.name
                call.arguments.append(event.arguments)
            case UsageReport(usage=usage):
                self.usage = usage
            case Finish(reason=reason):
                self.finish_reason = reason
            case EndpointUsed(path=path):
                self.endpoint = path

    def result(self, error: Failure | None = None) -> Result:
        return Result(
            text="".join(self.text),
            reasoning="".join(self.reasoning),
            tool_calls=tuple(
                ToolCall(id=call.id, name=call.name, arguments="".join(call.arguments))
                for _, call in sorted(self.calls.items())
            ),
            finish_reason=self.finish_reason,
            usage=self.usage,
            error=error,
            endpoint=self.endpoint,
        )


async def collect(events: AsyncIterable[Event]) -> Result:
    collector = Collector()
    try:
        async for event in events:
            collector.add(event)
    except ContractError as exc:
        return collector.result(exc.failure)
    return collector.result()


def collect_sync(events: Iterable[Event]) -> Result:
    collector = Collector()
    try:
        for event in events:
            collector.add(event)
    except ContractError as exc:
        return collector.result(exc.failure)
    return collector.result()

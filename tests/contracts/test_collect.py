from __future__ import annotations

from collections.abc import AsyncIterator

from contracts._collect import collect
from contracts._model import (
    ContractError,
    ErrorKind,
    Event,
    Finish,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageReport,
)


async def _events(*events: Event, fail: ErrorKind | None = None) -> AsyncIterator[Event]:
    for event in events:
        yield event
    if fail is not None:
        raise ContractError(fail, "broke")


async def test_partial_output_is_kept_with_the_error() -> None:
    result = await collect(
        _events(TextDelta(text="Hel"), TextDelta(text="lo"), fail=ErrorKind.TRUNCATED)
    )
    assert result.text == "Hello"
    assert result.error is not None and result.error.kind is ErrorKind.TRUNCATED
    assert result.finish_reason is None and result.usage is None


async def test_usage_is_the_last_report_not_a_sum() -> None:
    reports = [
        UsageReport(usage=Usage(prompt_tokens=5, completion_tokens=n, total_tokens=5 + n))
        for n in (1, 2, 3)
    ]
    result = await collect(_events(*reports, Finish(reason="stop")))
    assert result.usage == Usage(prompt_tokens=5, completion_tokens=3, total_tokens=8)


async def test_tool_call_fragments_join_and_the_first_id_and_name_stick() -> None:
    result = await collect(
        _events(
            ToolCallDelta(index=0, id="a", name="get_weather"),
            ToolCallDelta(index=1, id="b", name="get_time", arguments="{}"),
            ToolCallDelta(index=0, id="a", name="get_weather", arguments='{"city": '),
            ToolCallDelta(index=0, arguments='"Paris"}'),
        )
    )
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("a", "get_weather", '{"city": "Paris"}'),
        ("b", "get_time", "{}"),
    ]

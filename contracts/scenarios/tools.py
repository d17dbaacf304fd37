"""Tool calls: the backend's own delta style, and every variant seen in the wild."""

from __future__ import annotations

from typing import Any

from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import TIME_TOOL, WEATHER_TOOL, ask, calls, chunk
from fakes.model.canned import CannedRoute, sse_data, sse_response
from fakes.profiles import Knobs

_TOOLS = (WEATHER_TOOL,)
_FLAGS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}
_CHAT = "/v1/chat/completions"
_ROLE = chunk({"role": "assistant", "content": ""})


def _has_tools(knobs: Knobs) -> bool:
    return knobs.tools and "auto" in knobs.tool_choice_strings


def _named_tools(knobs: Knobs) -> bool:
    return knobs.tools


def _call(index: int | None = None, **fields: Any) -> dict[str, Any]:
    value: dict[str, Any] = {} if index is None else {"index": index}
    function = {k: fields.pop(k) for k in ("name", "arguments") if k in fields}
    value.update(fields)
    if function:
        value["function"] = function
    return value


def _wire(
    id_: str, title: str, quirk: str, *payloads: object, tools: tuple[Any, ...] = _TOOLS
) -> Scenario:
    return Scenario(
        id=id_,
        family="tools",
        title=title,
        quirk=quirk,
        request=ask(stream=True, tools=tools),
        runs_on=WIRE,
        canned=(CannedRoute(path=_CHAT, responses=(sse_response(sse_data(*payloads)),)),),
    )


def _tools(*calls_: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return chunk({"tool_calls": list(calls_)}, finish)


_Q4 = "tool call delta variants (docs/wire-quirks.md#tool-call-deltas)"

SCENARIOS = [
    Scenario(
        id="tool_call",
        family="tools",
        title="a tool call with tool_choice auto (needs the parser flags)",
        quirk="tool call deltas, ids chatcmpl-tool- (docs/quirks.md#vllm-id_hex_length)",
        request=ask(tools=_TOOLS, tool_choice="auto"),
        script=calls(("get_weather", {"city": "Paris"})),
        vllm=_FLAGS,
        applies=_has_tools,
    ),
    Scenario(
        id="tool_call_stream",
        family="tools",
        title="a streamed tool call: header delta, then argument fragments",
        quirk=(
            "first tool delta has index, id, type, name; no arguments key "
            "(docs/quirks.md#vllm-named_tool_stream); the fragments are the hermes parser's "
            "own, and on 0.7-0.10 their join is not JSON (docs/quirks.md#vllm-hermes_stream)"
        ),
        request=ask(stream=True, tools=_TOOLS, tool_choice="auto"),
        script=calls(("get_weather", {"city": "Paris"})),
        vllm=_FLAGS,
        applies=_has_tools,
    ),
    Scenario(
        id="tool_call_named_stream",
        family="tools",
        title="a named tool_choice streamed (0.5: name on every delta, no index; 0.6: no id)",
        quirk="0.5 only honoured a named tool_choice (docs/quirks.md#vllm-tool_choice_strings)",
        request=ask(
            stream=True,
            tools=(WEATHER_TOOL, TIME_TOOL),
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        ),
        # from 0.14 a named tool_choice without a tool parser is a 400 (shown by the reference
        # harness on 0.33 and 0.34), and vLLM builds the parser only with both flags
        vllm=_FLAGS,
        applies=_named_tools,
    ),
    _wire(
        "tool_delta_no_index",
        "tool call deltas without index",
        _Q4,
        _ROLE,
        _tools(_call(id="call_1", type="function", name="get_weather", arguments="")),
        _tools(_call(arguments='{"city": ')),
        _tools(_call(arguments='"Paris"}')),
        chunk({}, "tool_calls"),
    ),
    _wire(
        "tool_parallel_interleaved",
        "two tool calls whose argument fragments interleave by index",
        _Q4,
        _ROLE,
        _tools(_call(0, id="call_a", type="function", name="get_weather", arguments="")),
        _tools(_call(1, id="call_b", type="function", name="get_time", arguments="")),
        _tools(_call(0, arguments='{"city": ')),
        _tools(_call(1, arguments='{"zone": ')),
        _tools(_call(0, arguments='"Paris"}')),
        _tools(_call(1, arguments='"CET"}')),
        chunk({}, "tool_calls"),
        tools=(WEATHER_TOOL, TIME_TOOL),
    ),
    _wire(
        "tool_id_name_repeated",
        "the id and the name repeated on every delta: one call, not three",
        _Q4,
        _ROLE,
        _tools(_call(0, id="call_1", type="function", name="get_weather", arguments='{"city": ')),
        _tools(_call(0, id="call_1", type="function", name="get_weather", arguments='"Par')),
        _tools(_call(0, id="call_1", type="function", name="get_weather", arguments='is"}')),
        chunk({}, "tool_calls"),
    ),
    _wire(
        "tool_empty_id",
        "tool call id is an empty string: the id is missing, not ''",
        _Q4,
        _ROLE,
        _tools(_call(0, id="", type="function", name="get_weather", arguments="")),
        _tools(_call(0, id="", arguments='{"city": "Paris"}')),
        chunk({}, "tool_calls"),
    ),
    _wire(
        "tool_index_reuse",
        "two calls both sent at index 0 with different ids: two calls",
        _Q4,
        _ROLE,
        _tools(
            _call(
                0, id="call_a", type="function", name="get_weather", arguments='{"city": "Paris"}'
            )
        ),
        _tools(
            _call(0, id="call_b", type="function", name="get_time", arguments='{"zone": "CET"}')
        ),
        chunk({}, "tool_calls"),
        tools=(WEATHER_TOOL, TIME_TOOL),
    ),
    _wire(
        "tool_and_finish_same_chunk",
        "the whole tool call and the finish_reason in one chunk",
        _Q4,
        _ROLE,
        _tools(
            _call(
                0, id="call_1", type="function", name="get_weather", arguments='{"city": "Paris"}'
            ),
            finish="tool_calls",
        ),
    ),
    _wire(
        "tool_finish_stop",
        "finish_reason stop although a tool call was sent: the call still counts",
        _Q4,
        _ROLE,
        _tools(
            _call(
                0, id="call_1", type="function", name="get_weather", arguments='{"city": "Paris"}'
            )
        ),
        chunk({}, "stop"),
    ),
]

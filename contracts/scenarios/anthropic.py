"""The Anthropic Messages route (/v1/messages): only drivers that speak it run these.

vLLM serves it from 0.11.1 (a 404 before); LiteLLM translates it to the upstream's chat
completions with its own adapter, whatever the vLLM behind it serves."""

from __future__ import annotations

from contracts._driver import ANTHROPIC_MESSAGES
from contracts._scenario import Scenario
from contracts.scenarios._build import WEATHER_TOOL, ask, calls, says

_NEEDS = frozenset({ANTHROPIC_MESSAGES})
_FLAGS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}
_QUIRK = "docs/quirks.md#vllm-messages"

SCENARIOS = [
    Scenario(
        id="messages_plain",
        family="anthropic",
        title="a plain Anthropic message; vLLM before 0.11.1 has no /v1/messages (404)",
        quirk=_QUIRK,
        request=ask(max_tokens=64),
        script=says(),
        requires=_NEEDS,
    ),
    Scenario(
        id="messages_stream",
        family="anthropic",
        title="the event stream: message_start, text blocks, message_delta with usage",
        quirk=f"{_QUIRK}_stream_done (0.11.1-0.18 end with data: [DONE])",
        request=ask(max_tokens=64, stream=True),
        script=says(),
        requires=_NEEDS,
    ),
    Scenario(
        id="messages_tool_use",
        family="anthropic",
        title="a tool_use block (tool_choice auto needs vLLM's parser flags)",
        quirk=f"{_QUIRK}_text_block (0.11.1-0.16 put an empty text block first)",
        request=ask(max_tokens=128, tools=(WEATHER_TOOL,), tool_choice="auto"),
        script=calls(("get_weather", {"city": "Paris"})),
        vllm=_FLAGS,
        requires=_NEEDS,
    ),
    Scenario(
        id="messages_tool_use_stream",
        family="anthropic",
        title="a streamed tool_use block of input_json_delta fragments",
        quirk=f"{_QUIRK}_finish_chunk_dropped",
        request=ask(max_tokens=128, tools=(WEATHER_TOOL,), tool_choice="auto", stream=True),
        script=calls(("get_weather", {"city": "Paris"})),
        vllm=_FLAGS,
        requires=_NEEDS,
    ),
    Scenario(
        id="messages_unknown_model",
        family="anthropic",
        title="an unknown model in Anthropic's error shape (error.type per release)",
        quirk=f"{_QUIRK}_anthropic_error_types",
        request=ask(max_tokens=64),
        model="no-such-model",
        requires=_NEEDS,
    ),
]

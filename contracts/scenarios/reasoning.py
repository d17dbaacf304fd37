"""Reasoning text: its own field (two names over the releases), or inline <think> tags."""

from __future__ import annotations

from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import ANSWER, ask, chunk, says
from fakes.model.canned import CannedRoute, sse_data, sse_response
from fakes.profiles import Knobs

THOUGHT = "The user asks about Paris; I will answer briefly."


def _parses_reasoning(knobs: Knobs) -> bool:
    return bool(knobs.reasoning_keys)


SCENARIOS = [
    Scenario(
        id="reasoning_field",
        family="reasoning",
        title="reasoning parsed by the server: reasoning_content, reasoning, or both mirrored",
        quirk="reasoning field names by release (docs/quirks.md#vllm-reasoning_keys)",
        request=ask(),
        script=says(reasoning=THOUGHT),
        vllm={"reasoning_parser": "deepseek_r1"},
        applies=_parses_reasoning,
    ),
    Scenario(
        id="reasoning_field_stream",
        family="reasoning",
        title="streamed reasoning deltas before the content (0.12+: the same text twice per delta)",
        quirk="reasoning plus a reasoning_content mirror (docs/quirks.md#vllm-reasoning_keys)",
        request=ask(stream=True),
        script=says(reasoning=THOUGHT),
        vllm={"reasoning_parser": "deepseek_r1"},
        applies=_parses_reasoning,
    ),
    Scenario(
        id="think_inline_stream",
        family="reasoning",
        title="no reasoning parser: <think>...</think> inline in content, tags split over chunks",
        quirk=(
            "inline <think> split across chunks "
            "(docs/quirks.md#vllm-reasoning_keys, docs/wire-quirks.md#reasoning)"
        ),
        request=ask(stream=True),
        script=says(reasoning=THOUGHT),
    ),
    Scenario(
        id="reasoning_round_trip",
        family="reasoning",
        title="the previous turn's reasoning is sent back with the tool result",
        quirk=(
            "reasoning that must be sent back on the next tool turn (docs/wire-quirks.md#reasoning)"
        ),
        request=ask().model_copy(
            update={
                "messages": (
                    {"role": "user", "content": "What is the weather in Paris?"},
                    {
                        "role": "assistant",
                        "content": None,
                        "reasoning_content": THOUGHT,
                        "tool_calls": [
                            {
                                "id": "chatcmpl-tool-1",
                                "type": "function",
                                "function": {
                                    "name": "get_weather",
                                    "arguments": '{"city": "Paris"}',
                                },
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "chatcmpl-tool-1", "content": "sunny, 21C"},
                )
            }
        ),
        script=says(),
    ),
    Scenario(
        id="think_split_tags",
        family="reasoning",
        title="<think> and </think> each split over two chunks, with a newline after",
        quirk="inline <think> split across chunks (docs/wire-quirks.md#reasoning)",
        request=ask(stream=True),
        runs_on=WIRE,
        canned=(
            CannedRoute(
                path="/v1/chat/completions",
                responses=(
                    sse_response(
                        sse_data(
                            chunk({"role": "assistant", "content": ""}),
                            chunk({"content": "<thi"}),
                            chunk({"content": "nk>Paris is"}),
                            chunk({"content": " easy.</th"}),
                            chunk({"content": "ink>"}),
                            chunk({"content": ANSWER}),
                            chunk({}, "stop"),
                        )
                    ),
                ),
            ),
        ),
    ),
]

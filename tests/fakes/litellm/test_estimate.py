"""The usage estimate against litellm's own token_counter: every expected number below is
what ``litellm.token_counter(model="hosted_vllm/fake-model", ...)`` returned, run in the
1.74.15.post2 and 1.110.2 reference environments (the same unless noted)."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.litellm import _estimate

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "the city"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "opts": {"type": "object", "properties": {"x": {"type": "boolean"}}},
            },
            "required": ["city"],
        },
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
USER = {"role": "user", "content": "What is the weather in Paris?"}
CASES: list[tuple[dict[str, Any], int, int]] = [  # body, 1.74, 1.110
    ({"messages": [{"role": "user", "content": "hi"}]}, 8, 8),
    ({"messages": [{"role": "system", "content": "You are terse."}, USER]}, 22, 22),
    ({"messages": [USER], "tools": [WEATHER, TIME]}, 90, 90),
    (
        {
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}],
            "tools": [WEATHER],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        },
        86,
        86,
    ),
    (
        {"messages": [{"role": "user", "content": "x"}], "tools": [WEATHER], "tool_choice": "none"},
        77,
        77,
    ),
    (
        {
            "messages": [{"role": "user", "content": "x"}],
            "tools": [WEATHER],
            "tool_choice": "required",
        },
        76,
        76,
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "name": "bob",
                    "content": [
                        {"type": "text", "text": "Héllo wörld 12345"},
                        {"type": "text", "text": "more"},
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "reasoning_content": "thinking hard",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "sunny, 21C"},
            ]
        },
        43,
        43,
    ),
    # 1.110 encodes in 1024-character pieces: three more tokens at the seams here
    ({"messages": [{"role": "user", "content": "a" * 5000 + " word" * 700}]}, 1332, 1335),
]


@pytest.mark.parametrize(("body", "v174", "v110"), CASES)
def test_prompt_estimate_is_litellms(body: dict[str, Any], v174: int, v110: int) -> None:
    assert _estimate.prompt_tokens(body, None, strict=True) == v174
    assert _estimate.prompt_tokens(body, 1024) == v110


def test_special_token_text_fails_the_1_74_count() -> None:
    body = {"messages": [{"role": "user", "content": "say <|endoftext|>"}]}
    assert _estimate.prompt_tokens(body, None, strict=True) == 0  # 1.74 assumes 0
    assert _estimate.prompt_tokens(body, 1024) > 8


def test_completion_estimate_counts_text_only() -> None:
    assert _estimate.completion_tokens("Hello") == 1  # both real proxies: completion_tokens 1
    assert _estimate.completion_tokens("") == 0


def test_the_shipped_encoding_is_tiktokens_cl100k_base() -> None:
    assert _estimate.encoding().n_vocab == 100277

"""Reasoning through the proxy, as seen on the real 1.110.2 and 1.74.15 proxies in front of
the fake vLLM 0.9.2 (reasoning_content) and 0.25.0 (reasoning)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fakes.model.script import Reply, Rule, Script
from fakes.vllm import create_vllm_app
from tests.conftest import chunks, vllm_config

SCRIPT = Script(rules=(Rule(reply=Reply(text="It is sunny.", reasoning="Think about Paris.")),))


def _upstream(release: str) -> Any:
    return create_vllm_app(vllm_config(release, reasoning_parser="deepseek_r1", script=SCRIPT))


@pytest.mark.parametrize(
    ("litellm", "vllm", "message"),
    [
        (
            "1.110.2",
            "0.9.2",
            {
                "content": "It is sunny.",
                "role": "assistant",
                "reasoning_content": "Think about Paris.",
            },
        ),
        (
            "1.110.2",
            "0.25.0",
            {
                "content": "It is sunny.",
                "role": "assistant",
                "reasoning_content": "Think about Paris.",
                "provider_specific_fields": {"reasoning": "Think about Paris."},
                "refusal": None,
            },
        ),
        (
            "1.74.15",
            "0.25.0",
            {
                "content": "It is sunny.",
                "role": "assistant",
                "tool_calls": None,
                "function_call": None,
                "reasoning_content": "Think about Paris.",
            },
        ),
    ],
)
async def test_message_reasoning(
    stack: Any, litellm: str, vllm: str, message: dict[str, Any]
) -> None:
    async with stack(litellm, upstream=_upstream(vllm)) as s:
        response = await s.chat()
    raw = response.content.decode()
    assert orjson.loads(raw)["choices"][0]["message"] == message
    # key order as the real proxy writes it
    assert raw.index('"message":' + orjson.dumps(message).decode()) > 0


@pytest.mark.parametrize(
    ("litellm", "vllm", "reasoning"),
    [
        ("1.110.2", "0.25.0", "Think about Paris."),  # reasoning -> reasoning_content
        ("1.74.15", "0.9.2", "Think about Paris."),  # reasoning_content passes
        ("1.74.15", "0.25.0", ""),  # reasoning-only deltas are dropped
    ],
)
async def test_stream_reasoning(stack: Any, litellm: str, vllm: str, reasoning: str) -> None:
    async with stack(litellm, upstream=_upstream(vllm)) as s:
        response = await s.chat(stream=True)
    deltas = [c["choices"][0]["delta"] for c in chunks(response.text) if c["choices"]]
    assert all("reasoning" not in d for d in deltas)
    assert "".join(d.get("reasoning_content", "") for d in deltas) == reasoning
    assert "".join(d.get("content", "") for d in deltas) == "It is sunny."


async def test_188_mirrors_the_reasoning_into_the_provider_fields(stack: Any) -> None:
    # knob message_reasoning_provider_field (1.90 does not)
    for litellm, mirrored in (("1.88.6", True), ("1.90.7", False)):
        async with stack(litellm, upstream=_upstream("0.9.2")) as s:
            message = (await s.chat()).json()["choices"][0]["message"]
        assert message["reasoning_content"] == "Think about Paris."
        fields = message.get("provider_specific_fields") or {}
        assert (fields.get("reasoning_content") == "Think about Paris.") is mirrored, litellm

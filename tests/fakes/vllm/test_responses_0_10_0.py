"""0.10.0's /v1/responses body: chat usage, vLLM's own reasoning item, openai 1.90's types."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.profiles import ToolChoiceUnion, resolve_vllm_profile
from fakes.vllm._responses_tool_choice import tool_choice_errors
from fakes.vllm.wire.responses import reasoning_item, usage

ASK = {"model": "fake-model", "input": "Hi"}
CHAT_FORM = {"type": "function", "function": {"name": "get_weather"}}


def _knobs(release: str) -> Any:
    return resolve_vllm_profile(release, None)[0].knobs


async def test_0_10_0_usage_is_chat_usage_and_the_message_has_no_phase(vllm: Any) -> None:
    """responses_usage_chat, responses_message_phase (recorded 0.10.0)."""
    async with vllm("0.10.0") as client:
        old = (await client.post("/v1/responses", json=ASK)).json()
    async with vllm("0.10.1.1") as client:
        new = (await client.post("/v1/responses", json=ASK)).json()
    assert list(old["usage"]) == [
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
        "prompt_tokens_details",
    ]
    prompt, completion = old["usage"]["prompt_tokens"], old["usage"]["completion_tokens"]
    assert old["usage"]["total_tokens"] == prompt + completion > 0
    assert new["usage"]["input_tokens"] == prompt and new["usage"]["output_tokens"] == completion
    assert "phase" not in old["output"][0]
    assert new["output"][0]["phase"] is None


def test_0_10_0_reasoning_item_is_vllms_own_class() -> None:
    """responses_reasoning_text: id, text, summary, type, encrypted_content, status."""
    old = reasoning_item(_knobs("0.10.0"), "rs_1", "thinking")
    new = reasoning_item(_knobs("0.10.1.1"), "rs_1", "thinking")
    assert old == {
        "id": "rs_1",
        "text": "thinking",
        "summary": [],
        "type": "reasoning",
        "encrypted_content": None,
        "status": None,
    }
    assert list(old) == ["id", "text", "summary", "type", "encrypted_content", "status"]
    assert "text" not in new and new["content"] == [{"text": "thinking", "type": "reasoning_text"}]


def test_usage_by_knob() -> None:
    assert usage(_knobs("0.10.0"), 3, 4, 0) == {
        "prompt_tokens": 3,
        "total_tokens": 7,
        "completion_tokens": 4,
        "prompt_tokens_details": None,
    }
    assert usage(_knobs("0.10.1.1"), 3, 4, 0)["input_tokens"] == 3


@pytest.mark.parametrize(
    ("union", "members"),
    [
        (ToolChoiceUnion.OPENAI_1_90, ["ToolChoiceTypes", "ToolChoiceFunction"]),
        (
            ToolChoiceUnion.OPENAI_3,
            [
                "ToolChoiceAllowed",
                "ToolChoiceTypes",
                "ToolChoiceFunction",
                "ToolChoiceMcp",
                "ToolChoiceCustom",
                "ToolChoiceSpecificProgrammaticToolCallingParam",
                "ToolChoiceApplyPatch",
                "ToolChoiceShell",
            ],
        ),
    ],
)
def test_the_chat_form_fails_every_member_of_the_release_union(
    union: ToolChoiceUnion, members: list[str]
) -> None:
    """responses_tool_choice_union: one error per member, named as openai-python names it."""
    errors = tool_choice_errors(union, CHAT_FORM)
    assert errors[0]["loc"] == ("body", "tool_choice", "literal['none','auto','required']")
    named = list(dict.fromkeys(error["loc"][2] for error in errors[1:]))
    assert named == members
    assert tool_choice_errors(union, {"type": "function", "name": "get_weather"}) == []
    assert tool_choice_errors(union, "auto") == []


def test_the_0_10_0_profile_picks_the_pinned_openai_union() -> None:
    assert _knobs("0.10.0").responses_tool_choice_union is ToolChoiceUnion.OPENAI_1_90
    assert _knobs("0.10.1.1").responses_tool_choice_union is ToolChoiceUnion.OPENAI_3

"""/v1/responses input items: what vLLM's union of openai-python item types accepts and refuses."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.vllm._responses_input import input_errors

ACCEPTED: list[dict[str, Any]] = [
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "earlier answer"},
    {"role": "developer", "content": "be brief", "type": "message"},
    {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
    {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
    {"type": "reasoning", "id": "rs_1", "summary": []},
    {"id": "msg_1"},  # an item reference
    {"id": "msg_1", "type": "item_reference"},
]

REFUSED: list[dict[str, Any]] = [
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},  # the chat form
    {"role": "assistant", "content": None, "tool_calls": []},
    {"role": "user", "content": [{"type": "text", "text": "hi"}]},  # chat content parts
    {"role": "function", "content": "x"},
    {"type": "no_such_item"},
    {"content": "no role"},
]


@pytest.mark.parametrize("item", ACCEPTED)
def test_items_of_the_union_are_accepted(item: dict[str, Any]) -> None:
    assert input_errors([item]) == []


@pytest.mark.parametrize("item", REFUSED)
def test_items_outside_the_union_are_refused_under_body_input(item: dict[str, Any]) -> None:
    errors = input_errors([{"role": "user", "content": "fine"}, item])
    assert errors
    assert errors[0]["loc"] == ("body", "input", "str")  # the str branch of input comes first
    assert all(error["loc"][:2] == ("body", "input") for error in errors)
    assert all(error["loc"][3] == 1 for error in errors[1:])  # only the second item is wrong


async def test_a_chat_style_history_is_a_400_naming_the_first_members(vllm: Any) -> None:
    history = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    async with vllm("0.34.0") as client:
        response = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": history}
        )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "body.input"
    lines = error["message"].splitlines()
    assert lines[0].endswith("validation errors:")
    assert "'loc': 'body.input.1.EasyInputMessageParam.content'" in lines[2]
    assert "'loc': 'body.input.1.Message.role'" in lines[5]
    assert lines[-1].startswith("  ...and ")


async def test_responses_items_still_answer(vllm: Any) -> None:
    async with vllm("0.34.0") as client:
        response = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": ACCEPTED}
        )
    assert response.status_code == 200
    assert response.json()["status"] == "completed"


@pytest.mark.parametrize(
    ("release", "param"), [("0.24.0", "body.input.str"), ("0.25.0", "body.input")]
)
async def test_the_param_keeps_union_segments_until_0_25(
    vllm: Any, release: str, param: str
) -> None:
    """validation_param_clean: 0.25 drops pydantic's union branch ("str") from the param."""
    async with vllm(release) as client:
        response = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": [{"role": "tool"}]}
        )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param

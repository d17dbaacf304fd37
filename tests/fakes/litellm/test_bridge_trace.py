"""1.80's 500 for a bridged stream with a chat-form named tool_choice: the recorded real text,
with only the installation folder and the input's repr varying."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from fakes.litellm import _bridge_trace
from fakes.litellm._health_params import SITE_PACKAGES
from tests.fakes.litellm.conftest import AUTH

RECORDING = Path(__file__).parents[3] / "recordings/litellm/litellm-1.80.17+vllm-0.34.json"
NAMED = {"type": "function", "function": {"name": "get_weather"}}


def _recorded_message() -> str:
    units = orjson.loads(RECORDING.read_bytes())["units"]
    unit = next(u for u in units if u["name"] == "tool_call_named_stream.responses-only")
    message: str = orjson.loads(unit["answers"][0]["body"])["error"]["message"]
    return message


def test_the_message_is_the_recorded_one() -> None:
    fake = _bridge_trace.message(NAMED).replace(SITE_PACKAGES, "<site-packages>/")
    assert fake == _recorded_message()


def test_the_input_is_shortened_as_pydantic_core_does() -> None:
    short = {"type": "function", "function": {"name": "f"}}
    assert "input_value={'type': 'function', 'function': {'name': 'f'}}," in (
        _bridge_trace.message(short)
    )
    assert "input_value={'type': 'function', 'fun...{'name': 'get_weather'}}," in (
        _bridge_trace.message(NAMED)
    )


def test_only_the_chat_form_of_a_named_choice_fails() -> None:
    assert _bridge_trace.named_chat_choice(NAMED)
    assert not _bridge_trace.named_chat_choice({"type": "function", "name": "get_weather"})
    assert not _bridge_trace.named_chat_choice({"type": "function"})
    assert not _bridge_trace.named_chat_choice("auto")


async def test_a_bridged_stream_with_it_is_a_json_500(stack: Any) -> None:
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
    body = {"model": "fake-model", "input": "hi", "tools": tools, "tool_choice": NAMED}
    async with stack("1.80.17", "0.9.2") as s:
        response = await s.client.post("/v1/responses", json={**body, "stream": True}, headers=AUTH)
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert (error["type"], error["param"], error["code"]) == ("None", "None", "500")
        assert error["message"].startswith("13 validation errors for ResponsesAPIResponse")
        assert len(s.upstream_requests()) == 1  # the chat call was made first
        plain = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert plain.status_code == 200  # a body is not built through response.created
    async with stack("1.74.15", "0.9.2") as s:
        response = await s.client.post("/v1/responses", json={**body, "stream": True}, headers=AUTH)
        assert response.status_code == 200

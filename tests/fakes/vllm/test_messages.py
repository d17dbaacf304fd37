"""/v1/messages on the fake vLLM: the route per release, the translation to chat (what the
prompt counts), tool use in the body and the stream, and errors in each release's words."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from fakes.model.script import Script
from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app
from fakes.vllm.wire import messages as wire
from fakes.vllm.wire.messages_stream import events

ASK = {"model": "fake-model", "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}]}
WEATHER = {"name": "get_weather", "input_schema": {"type": "object"}}
CALL = {"rules": [{"reply": {"tool_calls": [{"name": "get_weather", "arguments": {"c": "P"}}]}}]}
TOOLS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}


async def _post(version: str, body: dict[str, Any], path: str = "/v1/messages", **config: Any):
    profile, release = resolve_vllm_profile(version, None)
    script = Script.model_validate(config.pop("script", {"rules": [{"reply": {"text": "Hi"}}]}))
    app = create_vllm_app(VllmConfig(profile=profile, version=release, script=script, **config))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        return await client.post(path, json=body)


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        if lines.get("data") != "[DONE]":
            out.append((lines["event"], orjson.loads(lines["data"])))
    return out


@pytest.mark.parametrize(("version", "status"), [("0.11.0", 404), ("0.11.1", 200)])
async def test_the_route_arrives_in_0_11_1(version: str, status: int) -> None:
    assert (await _post(version, ASK)).status_code == status


async def test_count_tokens_counts_the_translated_prompt_from_0_17() -> None:
    assert (await _post("0.16.0", ASK, "/v1/messages/count_tokens")).status_code == 404
    counted = (await _post("0.34.0", ASK, "/v1/messages/count_tokens")).json()
    answered = (await _post("0.34.0", ASK)).json()
    assert counted["input_tokens"] == answered["usage"]["input_tokens"] > 0
    assert counted["context_management"] == {"original_input_tokens": counted["input_tokens"]}


def test_system_blocks_tool_use_and_results_become_chat_messages() -> None:
    knobs = resolve_vllm_profile("0.34.0", None)[0].knobs
    body = {
        **ASK,
        "system": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief"}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {"c": "P"}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"},
                    {"type": "text", "text": "thanks"},
                ],
            },
        ],
        "tools": [WEATHER],
        "tool_choice": {"type": "any"},
        "stop_sequences": ["x"],
    }
    chat = wire.chat_request(knobs, body)
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "t1",
                    "type": "function",
                    "function": {"name": "w", "arguments": '{"c": "P"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
        {"role": "user", "content": "thanks"},
    ]
    assert chat["tool_choice"] == "required"
    assert chat["stop"] == ["x"]
    assert chat["tools"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize(
    ("version", "content"),
    [("0.11.1", ["text", "tool_use"]), ("0.34.0", ["tool_use"])],
)
async def test_a_tool_call_body(version: str, content: list[str]) -> None:
    body = {**ASK, "tools": [WEATHER]}
    answer = (await _post(version, body, script=CALL, **TOOLS)).json()
    assert [block["type"] for block in answer["content"]] == content
    assert answer["content"][-1]["input"] == {"c": "P"}
    assert answer["content"][-1]["id"].startswith("chatcmpl-tool-")
    assert answer["stop_reason"] == "tool_use"


@pytest.mark.parametrize("version", ["0.11.1", "0.34.0"])
async def test_a_streamed_tool_call_is_a_tool_use_block_of_json_deltas(version: str) -> None:
    body = {**ASK, "tools": [WEATHER], "stream": True}
    sent = _events((await _post(version, body, script=CALL, **TOOLS)).text)
    names = [name for name, _ in sent]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    start = next(data for name, data in sent if name == "content_block_start")
    assert start["content_block"]["type"] == "tool_use"
    assert start["content_block"]["input"] == {}
    fragments = [
        data["delta"]["partial_json"]
        for name, data in sent
        if name == "content_block_delta" and data["delta"]["type"] == "input_json_delta"
    ]
    assert orjson.loads("".join(fragments)) == {"c": "P"}
    assert sent[-2][1]["delta"]["stop_reason"] == "tool_use"


async def test_tools_without_the_parser_flags_are_the_chat_400_in_anthropic_shape() -> None:
    answer = await _post("0.34.0", {**ASK, "tools": [WEATHER]})
    assert answer.status_code == 400
    assert answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "--enable-auto-tool-choice" in answer.json()["error"]["message"]


async def test_a_body_that_fails_validation_is_vllms_own_400() -> None:
    answer = await _post("0.34.0", {"model": "fake-model"})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "body.messages"


def test_0_11_1_streams_nothing_of_a_one_token_answer() -> None:
    knobs = resolve_vllm_profile("0.11.1", None)[0].knobs
    head = {"id": "c", "model": "m"}
    chunks = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**head, "choices": [{"delta": {"content": "Hi"}, "finish_reason": "length"}]},
        {**head, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}},
    ]
    sent = [frame.split(b"\n")[0] for frame in events(knobs, chunks)]
    assert sent == [
        b"event: message_start",
        b"event: message_delta",
        b"event: message_stop",
        b"data: [DONE]",
    ]

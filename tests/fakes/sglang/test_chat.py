"""The fake SGLang's chat completions, release by release (facts cited in its profiles)."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.profiles._registry import resolve_sglang_profile
from tests.conftest import CHAT, chunks, events
from tests.fakes.sglang._client import sglang

HELLO = Script(rules=(Rule(reply=Reply(text="Hello world")),))
STREAM: dict[str, Any] = {**CHAT, "stream": True}
USAGE = {**STREAM, "stream_options": {"include_usage": True}}


async def test_plain_body_names_the_eos_token_it_stopped_on() -> None:
    async with sglang("0.5.23", script=HELLO, eos_token_id=7) as client:
        body = (await client.post("/v1/chat/completions", json=CHAT)).json()
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "Hello world",
        "reasoning_content": None,
    }
    assert (choice["finish_reason"], choice["matched_stop"]) == ("stop", 7)
    assert len(body["id"]) == 32 and int(body["id"], 16) >= 0  # the bare rid, no prefix
    assert body["usage"]["completion_tokens"] == 3  # two pieces and the EOS token
    assert body["metadata"] == {"weight_version": "default"}


async def test_0_5_23_stream_leaves_null_keys_out_and_ends_with_a_finish_chunk() -> None:
    async with sglang("0.5.23", script=HELLO) as client:
        text = (await client.post("/v1/chat/completions", json=USAGE)).text
    parts = chunks(text)
    assert parts[0]["choices"][0]["delta"] == {
        "reasoning_content": None,
        "role": "assistant",
        "content": "",
    }
    assert "usage" not in parts[1]
    assert [p["choices"][0]["delta"].get("content") for p in parts[1:3]] == ["Hello", " world"]
    finish = parts[3]["choices"][0]
    assert finish["delta"] == {"reasoning_content": None}
    assert (finish["finish_reason"], finish["matched_stop"]) == ("stop", 151645)
    assert parts[4]["choices"] == [] and parts[4]["usage"]["total_tokens"] > 3
    assert events(text)[-1] == "[DONE]"


async def test_continuous_usage_stats_counts_every_chunk_from_0_5_3() -> None:
    request = {**STREAM, "stream_options": {"continuous_usage_stats": True}}
    async with sglang("0.5.23", script=HELLO) as client:
        text = (await client.post("/v1/chat/completions", json=request)).text
    content = [p for p in chunks(text) if p["choices"] and p["choices"][0]["delta"].get("content")]
    assert [p["usage"]["completion_tokens"] for p in content] == [1, 2]
    async with sglang("0.5.2", script=HELLO) as client:
        text = (await client.post("/v1/chat/completions", json=request)).text
    assert all(p["usage"] is None for p in chunks(text))


async def test_0_5_2_chunks_carry_every_key() -> None:
    async with sglang("0.5.2", script=HELLO) as client:
        text = (await client.post("/v1/chat/completions", json=STREAM)).text
    parts = chunks(text)
    assert parts[0]["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
        "reasoning_content": None,
        "tool_calls": None,
    }
    assert all(p["usage"] is None for p in parts)
    assert parts[-1]["choices"][0]["finish_reason"] == "stop"


async def test_0_4_says_stop_twice_without_include_usage_and_once_with() -> None:
    async with sglang("0.4.6", script=HELLO) as client:
        plain = chunks((await client.post("/v1/chat/completions", json=STREAM)).text)
        usage = chunks((await client.post("/v1/chat/completions", json=USAGE)).text)
    assert [p["choices"][0]["finish_reason"] for p in plain] == [None, None, None, "stop", "stop"]
    assert plain[-1]["usage"] is None
    assert [p["choices"][0]["finish_reason"] for p in usage] == [None, None, None, "stop"]
    assert usage[-1]["usage"]["completion_tokens"] == 3  # usage rides on the finish chunk


async def test_errors_are_flat_with_the_status_as_code() -> None:
    async with sglang("0.5.23") as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "messages": []})
    assert response.status_code == 400
    assert response.json() == {
        "object": "error",
        "message": "Messages cannot be empty.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }


async def test_0_4_leaves_a_bad_body_to_fastapi_as_a_plain_500() -> None:
    async with sglang("0.4.6") as client:
        response = await client.post("/v1/chat/completions", json={"model": "m"})
    assert (response.status_code, response.text) == (500, "Internal Server Error")


async def test_api_key_guards_everything_but_health() -> None:
    async with sglang("0.5.23", api_key="k") as client:
        denied = await client.get("/v1/models")
        health = await client.get("/health")
        allowed = await client.get("/v1/models", headers={"authorization": "Bearer k"})
    assert (denied.status_code, denied.json()) == (401, {"error": "Unauthorized"})
    assert health.status_code == 200
    assert allowed.json()["data"][0]["owned_by"] == "sglang"


async def test_tool_call_needs_a_parser_and_ends_with_tool_calls() -> None:
    script = Script(
        rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f", arguments={"a": 1}),))),)
    )
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    request = {**CHAT, "tools": tools}
    async with sglang("0.5.23", script=script, tool_call_parser="qwen25") as client:
        body = (await client.post("/v1/chat/completions", json=request)).json()
    call = body["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "f", "arguments": '{"a": 1}'}
    assert call["id"].startswith("call_") and len(call["id"]) == 29
    assert body["choices"][0]["finish_reason"] == "tool_calls"


async def test_0_4_tool_stream_has_no_eos_chunk_and_ends_with_tool_calls() -> None:
    script = Script(
        rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f", arguments={"a": "b"}),))),)
    )
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    request = {**STREAM, "tools": tools}
    async with sglang("0.4.6", script=script, tool_call_parser="qwen25") as client:
        parts = chunks((await client.post("/v1/chat/completions", json=request)).text)
    finishes = [p["choices"][0]["finish_reason"] for p in parts]
    assert finishes[-1] == "tool_calls" and finishes.count("tool_calls") == 1
    assert all(f is None for f in finishes[:-1])
    assert parts[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "f"


async def test_get_model_info_has_each_release_s_keys() -> None:
    for version in ("0.4.6", "0.5.2", "0.5.23"):
        async with sglang(version, model_path="org/model") as client:
            info = (await client.get("/get_model_info")).json()
        profile = resolve_sglang_profile(version, None)[0]
        assert tuple(info) == profile.knobs.model_info_keys
        assert (info["model_path"], info["is_generation"]) == ("org/model", True)


@pytest.mark.parametrize(
    "extra",
    [
        {"stream_options": "yes"},
        {"stop": 3},
        {"tools": {"a": 1}},
        {"max_tokens": "3"},
        {"messages": ["hi"]},
        {"tools": ["f"]},
    ],
)
async def test_wrong_types_are_the_validation_400_never_a_traceback(extra: dict[str, Any]) -> None:
    async with sglang("0.5.23") as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, **extra})
    assert response.status_code == 400
    assert response.json()["type"] == "Bad Request"

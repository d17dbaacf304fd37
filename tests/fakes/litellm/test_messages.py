"""/v1/messages (the Anthropic adapter) in front of a fake vLLM: what 1.88 and 1.90 write
where 1.110 writes otherwise (as the conformance recordings show)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.fakes.litellm.conftest import AUTH

ASK = {"model": "fake-model", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        if len(lines) == 2 and lines[0].startswith("event: "):
            out.append((lines[0].removeprefix("event: "), orjson.loads(lines[1][6:])))
    return out


async def test_190_stream_opens_with_the_role_chunks_empty_text(stack: Any) -> None:
    # knobs messages_empty_deltas, messages_start_cache_tokens
    async with stack("1.90.7") as s:
        answer = await s.client.post("/v1/messages", json={**ASK, "stream": True}, headers=AUTH)
    events = _events(answer.text)
    start = events[0][1]["message"]
    assert start["model"] == "fake-model" and start["usage"]["cache_read_input_tokens"] == 0
    assert answer.text.startswith('event: message_start\ndata: {"type": "message_start"')
    assert events[1][1]["content_block"] == {"type": "text", "text": ""}
    assert events[2][1]["delta"] == {"type": "text_delta", "text": ""}
    assert [name for name, _ in events[-3:]] == [
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


async def test_110_stream_has_no_empty_text_delta(stack: Any) -> None:
    async with stack("1.110.2") as s:
        answer = await s.client.post("/v1/messages", json={**ASK, "stream": True}, headers=AUTH)
    deltas = [e["delta"] for name, e in _events(answer.text) if name == "content_block_delta"]
    assert all(d.get("text") != "" for d in deltas)


@pytest.mark.parametrize(("version", "total"), [("1.90.7", False), ("1.88.6", True)])
async def test_a_tool_use_body_by_release(stack: Any, version: str, total: bool) -> None:
    # knobs messages_tool_provider_fields, messages_usage_total
    async with stack(version) as s:
        body = (
            await s.client.post(
                "/v1/messages",
                json={**ASK, "tools": TOOLS, "tool_choice": {"type": "any"}},
                headers=AUTH,
            )
        ).json()
    block = body["content"][-1]
    assert block["type"] == "tool_use" and list(block)[-1] == "provider_specific_fields"
    assert block["provider_specific_fields"] is None
    usage = body["usage"]
    assert ("total_tokens" in usage) is total
    if total:
        assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


async def test_190_errors_are_the_proxys_own(stack: Any) -> None:
    # knobs messages_unknown_model_route, messages_missing_max_tokens_headers,
    # messages_missing_max_tokens_routed, generic_api_timeout
    async with stack("1.90.7") as s:
        unknown = await s.client.post("/v1/messages", json={**ASK, "model": "nope"}, headers=AUTH)
        no_max = {k: v for k, v in ASK.items() if k != "max_tokens"}
        missing = await s.client.post("/v1/messages", json=no_max, headers=AUTH)
    error = unknown.json()["error"]
    assert unknown.status_code == 400 and (error["type"], error["param"]) == ("None", "None")
    assert error["message"].startswith("400: {'error': 'anthropic_messages: Invalid model name")
    assert missing.status_code == 500 and missing.headers["x-litellm-timeout"] == "600.0"
    assert missing.headers["x-litellm-model-id"]
    assert missing.json()["error"]["message"] == (
        "anthropic_messages() missing 1 required positional argument: 'max_tokens'"
    )

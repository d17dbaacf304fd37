"""named_tool_stream_finish_tool_calls: 0.10.2 to 0.11.0 end a streamed named tool_choice with
finish_reason "tool_calls" (tools_streamed); 0.10.1 and 0.11.1 on say "stop"."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from tests.conftest import events

CALL = Script(rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f", arguments={"a": 1}),))),))
NAMED = {
    "model": "fake-model",
    "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
}


@pytest.mark.parametrize(
    ("version", "finish"),
    [("0.10.1", "stop"), ("0.10.2", "tool_calls"), ("0.11.0", "tool_calls"), ("0.11.1", "stop")],
)
async def test_named_tool_stream_finish_tool_calls(vllm: Any, version: str, finish: str) -> None:
    async with vllm(version, script=CALL, tool_call_parser="hermes") as client:
        streamed = await client.post("/v1/chat/completions", json={**NAMED, "stream": True})
        whole = await client.post("/v1/chat/completions", json=NAMED)
    chunks = [orjson.loads(e) for e in events(streamed.text)[:-1]]
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == finish
    assert set(finishes[:-1]) == {None}
    # the body keeps "stop" (serving_chat.py's non-streaming branch)
    assert whole.json()["choices"][0]["finish_reason"] == "stop"

"""tool_choice "required": a 400 up to 0.8.2 (vllm-0.7.1 and older), accepted from 0.8.3, where
the guided list's message carries content "" as a named tool_choice's does (0.8.4's own app)."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply

CALL = Script(rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f", arguments={"a": 1}),))),))
REQUIRED = {
    "model": "fake-model",
    "messages": [{"role": "user", "content": "hi"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": "required",
}


@pytest.mark.parametrize("version", ["0.8.3", "0.8.4", "0.9.2", "0.12.0"])
async def test_a_required_answer_has_empty_content(vllm: Any, version: str) -> None:
    async with vllm(version, script=CALL) as client:
        response = await client.post("/v1/chat/completions", json=REQUIRED)
    assert response.status_code == 200
    message = response.json()["choices"][0]["message"]
    assert message["content"] == ""
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["f"]


@pytest.mark.parametrize("version", ["0.7.0", "0.7.2", "0.8.2"])
async def test_required_is_refused_before_0_8_3(vllm: Any, version: str) -> None:
    async with vllm(version, script=CALL) as client:
        response = await client.post("/v1/chat/completions", json=REQUIRED)
    assert response.status_code == 400
    assert '`tool_choice` must either be a named tool, \\"auto\\", or \\"none\\".' in response.text

"""tool_choice "required": a 400 up to 0.8.2 (vllm-0.7.1 and older), accepted from 0.8.3, where
the guided list's message carries content "" as a named tool_choice's does (0.8.4's own app)."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from tests.conftest import chunks

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


# --- finish reason and stream shape by release (the harness's probe/chat_tool_choice_required*
# groups: 0.9.2, 0.12.0 and 0.34.0's own apps) -------------------------------------------------

TOOL_FLAGS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}


async def _both(vllm: Any, version: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with vllm(version, script=CALL, **TOOL_FLAGS) as client:
        whole = await client.post("/v1/chat/completions", json=REQUIRED)
        streamed = await client.post("/v1/chat/completions", json={**REQUIRED, "stream": True})
    assert whole.status_code == streamed.status_code == 200
    return whole.json(), chunks(streamed.text)


@pytest.mark.parametrize(
    ("version", "body_finish", "stream_finish"),
    [
        ("0.8.4", "stop", None),  # no finish chunk at all
        ("0.9.2", "stop", None),
        ("0.10.1", "stop", None),
        ("0.10.2", "stop", "tool_calls"),  # tools_streamed
        ("0.11.0", "stop", "tool_calls"),
        ("0.11.1", "tool_calls", "tool_calls"),  # is_finish_reason_tool_calls
        ("0.12.0", "tool_calls", "tool_calls"),
        ("0.23.0", "tool_calls", "tool_calls"),
        ("0.34.0", "tool_calls", "tool_calls"),  # hermes' structural tag, parsed as "auto"
    ],
)
async def test_required_finish_reason_by_release(
    vllm: Any, version: str, body_finish: str, stream_finish: str | None
) -> None:
    whole, streamed = await _both(vllm, version)
    assert whole["choices"][0]["finish_reason"] == body_finish
    assert whole["choices"][0]["message"]["content"] == ""
    finishes = [c["choices"][0]["finish_reason"] for c in streamed if c["choices"]]
    assert [f for f in finishes if f is not None] == ([stream_finish] if stream_finish else [])
    assert finishes[-1] == stream_finish


def _tool_deltas(streamed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        c["choices"][0]["delta"]
        for c in streamed
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]


@pytest.mark.parametrize(("version", "first_has_id"), [("0.8.4", False), ("0.12.0", True)])
async def test_guided_required_stream_deltas(vllm: Any, version: str, first_has_id: bool) -> None:
    _, streamed = await _both(vllm, version)
    deltas = [d["tool_calls"][0] for d in _tool_deltas(streamed)]
    first, rest = deltas[0], deltas[1:]
    assert ("id" in first) is first_has_id
    assert first["function"] == {"name": "f", "arguments": "{"}  # the name with the first piece
    assert rest and all(d["function"]["name"] is None for d in rest)
    assert all(("type" in d) is not first_has_id for d in rest)  # 0.8: type on every delta
    assert "".join(d["function"]["arguments"] for d in deltas) == '{"a": 1}'


async def test_required_on_0_34_is_parsed_as_auto(vllm: Any) -> None:
    whole, streamed = await _both(vllm, "0.34.0")
    deltas = _tool_deltas(streamed)
    assert all(d["content"] is None for d in deltas)  # the hermes parser's deltas
    assert "arguments" not in deltas[0]["tool_calls"][0]["function"]  # a header of its own
    assert streamed[-1]["choices"][0]["delta"] == {}
    async with vllm("0.34.0", script=CALL, **TOOL_FLAGS) as client:
        auto = await client.post("/v1/chat/completions", json={**REQUIRED, "tool_choice": "auto"})
    # the same <tool_call> block as "auto": the same count
    assert whole["usage"] == auto.json()["usage"]

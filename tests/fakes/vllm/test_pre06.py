"""0.4 and 0.5 as their own apps showed them (recordings/vllm/vllm-0.5.3.jsonl): the /v1/models
root (model_card_root_served_name), V0's stop-string hold-back in streams (stop_hold_back), and
a named tool_choice stream whose EOS step repeats the name around the empty text."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from tests.conftest import events

HELLO = Script(rules=(Rule(reply=Reply(text="Hello world")),))
CALL = Script(rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f", arguments={"a": 1}),))),))
ASK = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
NAMED = {
    **ASK,
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "stream": True,
}


def _deltas(text: str) -> list[dict[str, Any]]:
    chunks = [orjson.loads(e) for e in events(text)[:-1]]
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


@pytest.mark.parametrize(
    ("version", "root"), [("0.4.3", "fake-model"), ("0.5.3", "fake-model"), ("0.6.3", "tiny-model")]
)
async def test_model_card_root_served_name(vllm: Any, version: str, root: str) -> None:
    async with vllm(version, model_path="tiny-model") as client:
        cards = (await client.get("/v1/models")).json()["data"]
    assert [card["root"] for card in cards] == [root]


@pytest.mark.parametrize("version", ["0.4.3", "0.5.3"])
async def test_stop_hold_back_before_06(vllm: Any, version: str) -> None:
    """stop_hold_back: " wor" holds back 3 characters of "Hello" until the stop ends it."""
    async with vllm(version, script=HELLO) as client:
        answer = await client.post(
            "/v1/chat/completions", json={**ASK, "stop": [" wor"], "stream": True}
        )
    texts = [d.get("content") for d in _deltas(answer.text) if "role" not in d]
    assert texts == ["He", "llo"]


@pytest.mark.parametrize(
    ("version", "head"), [("0.5.3", {}), ("0.6.3", {"index": 0}), ("0.8.5", {"index": 0})]
)
async def test_named_tool_stream_wraps_the_eos_step(
    vllm: Any, version: str, head: dict[str, Any]
) -> None:
    """named_tool_stream (name on every delta): the EOS step is one more such delta."""
    async with vllm(version, script=CALL) as client:
        answer = await client.post("/v1/chat/completions", json=NAMED)
    deltas = [d for d in _deltas(answer.text) if "role" not in d]
    assert deltas[-1] == {"tool_calls": [{**head, "function": {"name": "f", "arguments": ""}}]}
    calls = [d["tool_calls"][0] for d in deltas]
    assert "".join(c["function"]["arguments"] for c in calls) == '{"a": 1}'
    assert {c["function"]["name"] for c in calls} == {"f"}


@pytest.mark.parametrize(
    ("version", "reported"),
    [
        ("0.6.1.post2", "0.6.1.post2"),
        ("0.6.2", "0.6.1.dev238+ge2c6e0a82"),
        ("0.6.3", "dev"),
        ("0.6.3.post1", "0.6.3.post1"),
        ("0.6.4", "0.6.4"),
    ],
)
async def test_wheel_versions(vllm: Any, version: str, reported: str) -> None:
    """/version says what the release's PyPI wheel says: 0.6.2's was built from a checkout
    setuptools_scm named 0.6.1.dev238, 0.6.3's has no vllm/_version.py ("dev")."""
    async with vllm(version) as client:
        assert (await client.get("/version")).json() == {"version": reported}

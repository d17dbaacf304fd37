"""completion_first_chunk_prompt_ids: 0.10.2 to 0.11.0 put the prompt's token ids on the first
/v1/completions chunk of a stream, asked for or not; 0.11.1 only with return_token_ids."""

from __future__ import annotations

from typing import Any

import orjson

from fakes.model import tokens
from fakes.model.script import Reply, Rule, Script
from tests.conftest import events

HI = Script(rules=(Rule(reply=Reply(text="Hello world")),))
STREAM = {"model": "fake-model", "prompt": "Say hello to me", "stream": True}


async def _choices(vllm: Any, version: str) -> list[dict[str, Any]]:
    async with vllm(version, script=HI) as client:
        response = await client.post("/v1/completions", json=STREAM)
    return [orjson.loads(e)["choices"][0] for e in events(response.text)[:-1]]


async def test_completion_first_chunk_prompt_ids_0_10_2_to_0_11_0(vllm: Any) -> None:
    for version in ("0.10.2", "0.11.0"):
        choices = await _choices(vllm, version)
        first = choices[0]["prompt_token_ids"]
        assert isinstance(first, list)
        assert len(first) == tokens.count(STREAM["prompt"]) > 1
        assert all(isinstance(i, int) for i in first)
        assert [c["prompt_token_ids"] for c in choices[1:]] == [None] * (len(choices) - 1)


async def test_completion_first_chunk_prompt_ids_not_before_or_after(vllm: Any) -> None:
    assert all(c["prompt_token_ids"] is None for c in await _choices(vllm, "0.11.1"))
    assert all("prompt_token_ids" not in c for c in await _choices(vllm, "0.10.1"))

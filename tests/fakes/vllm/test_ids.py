"""Random id suffixes per release: vllm/utils random_uuid() is uuid4().hex (32 hex) up to
0.11.2 and 16 hex from 0.12.0 (``uuid4().int & MASK_64_BITS``), for every id built from it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import CHAT, WEATHER_TOOLS

NAMED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize(("version", "length"), [("0.11.2", 32), ("0.12.0", 16), ("0.34.0", 16)])
async def test_id_hex_length_applies_to_every_id(vllm: Any, version: str, length: int) -> None:
    hex_ = f"[0-9a-f]{{{length}}}"
    # a named tool_choice needs a tool parser (both flags) from 0.14
    async with vllm(version, enable_auto_tool_choice=True, tool_call_parser="hermes") as client:
        chat = (await client.post("/v1/chat/completions", json=CHAT)).json()
        tool = (
            await client.post(
                "/v1/chat/completions",
                json={**CHAT, "tools": WEATHER_TOOLS, "tool_choice": NAMED},
            )
        ).json()
        completion = (
            await client.post("/v1/completions", json={"model": "fake-model", "prompt": "hi"})
        ).json()
        response = (
            await client.post("/v1/responses", json={"model": "fake-model", "input": "hi"})
        ).json()
    assert re.fullmatch(f"chatcmpl-{hex_}", chat["id"])
    call = tool["choices"][0]["message"]["tool_calls"][0]
    assert re.fullmatch(f"chatcmpl-tool-{hex_}", call["id"])
    assert re.fullmatch(f"cmpl-{hex_}", completion["id"])
    assert re.fullmatch(f"resp_{hex_}", response["id"])
    assert re.fullmatch(f"msg_{hex_}", response["output"][0]["id"])

"""/v1/completions through the proxy (what both real releases answered in the conformance
recordings, in front of fake vLLM 0.9.2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import chunks
from tests.fakes.litellm.conftest import AUTH, VERSIONS

BODY = {"model": "fake-model", "prompt": "Say hi", "max_tokens": 5}


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_plain_completion_is_forwarded_and_rewritten(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post("/v1/completions", json=BODY, headers=AUTH)
    body = response.json()
    assert response.status_code == 200 and body["object"] == "text_completion"
    assert list(body["choices"][0]) == [
        "stop_reason",
        "prompt_logprobs",
        "finish_reason",
        "index",
        "text",
        "logprobs",
    ]
    assert body["usage"]["completion_tokens_details"] is None
    assert body["model"] == "fake-model" and body["system_fingerprint"] is None
    assert s.upstream_requests()[0].path == "/v1/completions"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_streamed_completion_splits_the_finish(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post(
            "/v1/completions", json={**BODY, "stream": True}, headers=AUTH
        )
    events = chunks(response.text)
    text = "".join(e["choices"][0].get("text", "") for e in events)
    assert text == "Lorem ipsum dolor sit amet" and response.text.endswith("data: [DONE]\n\n")
    last = events[-1]["choices"][0]
    if version.startswith("1.110"):
        assert last == {"finish_reason": "length", "index": 0, "stop_reason": None}
        assert len({e["id"] for e in events}) == 1 and "usage" not in events[0]
    else:
        assert last == {"finish_reason": "length", "index": 0}
        assert len({e["id"] for e in events}) == len(events)  # a fresh id on every chunk
        assert all(
            e["usage"] == {"completion_tokens": 0, "prompt_tokens": 0, "total_tokens": 0}
            for e in events
        )


async def test_190_streamed_completion_keeps_the_id_with_zero_usage_on_every_chunk(
    stack: Any,
) -> None:
    # knob completions_chunk_usage
    async with stack("1.90.7") as s:
        response = await s.client.post(
            "/v1/completions", json={**BODY, "stream": True}, headers=AUTH
        )
    events = chunks(response.text)
    assert len({e["id"] for e in events}) == 1 and events[0]["model"] == "fake-model"
    assert all(
        e["usage"] == {"completion_tokens": 0, "prompt_tokens": 0, "total_tokens": 0}
        for e in events
    )
    assert events[-1]["choices"][0] == {"finish_reason": "length", "index": 0}

"""Exact bytes per release, as read from each release's protocol.py / serving_chat.py.

The expected strings are the samples produced by each wheel's own pydantic classes
(ids and timestamps replaced by "*").
"""

from __future__ import annotations

from typing import Any

import pytest

from fakes.model.script import Reply, Rule, Script
from tests.conftest import CHAT, events, stable

HELLO = Script(rules=(Rule(reply=Reply(text="Hello!")),))
HEAD = '{"id":"*","object":"chat.completion","created":"*","model":"fake-model","choices":'

NON_STREAM: dict[str, str] = {
    # vllm 0.4.3 protocol.py:508-541
    "0.4.3": HEAD + '[{"index":0,"message":{"role":"assistant","content":"Hello!"},"logprobs":null,'
    '"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":5,"total_tokens":8,'
    '"completion_tokens":3}}',
    # 0.5.3 protocol.py:581-624: tool_calls [] appears
    "0.5.3": HEAD + '[{"index":0,"message":{"role":"assistant","content":"Hello!","tool_calls":[]},'
    '"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":5,'
    '"total_tokens":8,"completion_tokens":3}}',
    # 0.6.3 protocol.py:864: prompt_logprobs
    "0.6.3": HEAD + '[{"index":0,"message":{"role":"assistant","content":"Hello!","tool_calls":[]},'
    '"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":5,'
    '"total_tokens":8,"completion_tokens":3},"prompt_logprobs":null}',
    # 0.9.2 protocol.py:1391-1433: reasoning_content before content, kv_transfer_params
    "0.9.2": HEAD + '[{"index":0,"message":{"role":"assistant","reasoning_content":null,'
    '"content":"Hello!","tool_calls":[]},"logprobs":null,"finish_reason":"stop",'
    '"stop_reason":null}],"usage":{"prompt_tokens":5,"total_tokens":8,"completion_tokens":3,'
    '"prompt_tokens_details":null},"prompt_logprobs":null,"kv_transfer_params":null}',
    # 0.10.1.1 protocol.py:1645-1702
    "0.10.1.1": HEAD
    + '[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,'
    '"annotations":null,"audio":null,"function_call":null,"tool_calls":[],'
    '"reasoning_content":null},"logprobs":null,"finish_reason":"stop","stop_reason":null}],'
    '"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":5,"total_tokens":8,'
    '"completion_tokens":3,"prompt_tokens_details":null},"prompt_logprobs":null,'
    '"kv_transfer_params":null}',
    # 0.12.0 protocol.py:1440-1458: reasoning + reasoning_content mirror, token_ids
    "0.12.0": HEAD + '[{"index":0,"message":{"role":"assistant","content":"Hello!","refusal":null,'
    '"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning":null,'
    '"reasoning_content":null},"logprobs":null,"finish_reason":"stop","stop_reason":null,'
    '"token_ids":null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens":5,'
    '"total_tokens":8,"completion_tokens":3,"prompt_tokens_details":null},"prompt_logprobs":null,'
    '"prompt_token_ids":null,"kv_transfer_params":null}',
}


@pytest.mark.parametrize("version", sorted(NON_STREAM))
async def test_non_streaming_body_is_byte_exact(vllm: Any, version: str) -> None:
    async with vllm(version, script=HELLO) as client:
        response = await client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert stable(response.text) == NON_STREAM[version]


C = '{"id":"*","object":"chat.completion.chunk","created":"*","model":"fake-model","choices":'

STREAM: dict[str, list[str]] = {
    # 0.4.3 serving_chat.py:247-340: role without content, usage on the finish chunk
    "0.4.3": [
        C + '[{"index":0,"delta":{"role":"assistant"},"logprobs":null,"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],'
        '"usage":{"prompt_tokens":5,"total_tokens":8,"completion_tokens":3}}',
        "[DONE]",
    ],
    # 0.6.4 serving_chat.py:330-565: role with content "", finish with stop_reason
    "0.6.4": [
        C + '[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,'
        '"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}',
        C + '[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop",'
        '"stop_reason":null}]}',
        "[DONE]",
    ],
    # 0.12.0: prompt_token_ids on the role chunk, token_ids on choices, reasoning_content null
    "0.12.0": [
        C + '[{"index":0,"delta":{"role":"assistant","content":"","reasoning_content":null},'
        '"logprobs":null,"finish_reason":null}],"prompt_token_ids":null}',
        C + '[{"index":0,"delta":{"content":"Hello","reasoning_content":null},"logprobs":null,'
        '"finish_reason":null,"token_ids":null}]}',
        C + '[{"index":0,"delta":{"content":"!","reasoning_content":null},"logprobs":null,'
        '"finish_reason":null,"token_ids":null}]}',
        C + '[{"index":0,"delta":{"content":"","reasoning_content":null},"logprobs":null,'
        '"finish_reason":"stop","stop_reason":null,"token_ids":null}]}',
        "[DONE]",
    ],
}


@pytest.mark.parametrize("version", sorted(STREAM))
async def test_stream_chunks_are_byte_exact(vllm: Any, version: str) -> None:
    async with vllm(version, script=HELLO) as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "stream": True})
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.text.endswith("data: [DONE]\n\n")
    assert [stable(e) for e in events(response.text)] == STREAM[version]


async def test_length_finish_rides_on_the_last_token(vllm: Any) -> None:
    async with vllm("0.9.2", script=HELLO) as client:
        response = await client.post(
            "/v1/chat/completions", json={**CHAT, "stream": True, "max_tokens": 1}
        )
    body = events(response.text)
    assert stable(body[-2]) == (
        C + '[{"index":0,"delta":{"content":"Hello"},"logprobs":null,'
        '"finish_reason":"length","stop_reason":null}]}'
    )

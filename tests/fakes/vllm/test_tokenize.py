"""/tokenize and /detokenize by release, and 0.6.4's X-Request-Id on every response."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import CHAT


@pytest.mark.parametrize(("version", "status"), [("0.4.3", 404), ("0.5.3", 200), ("0.34.0", 200)])
async def test_tokenize_knob_decides_the_routes(vllm: Any, version: str, status: int) -> None:
    async with vllm(version) as client:
        response = await client.post("/tokenize", json={"model": "fake-model", "prompt": "hi"})
        assert response.status_code == status
        back = await client.post("/detokenize", json={"model": "fake-model", "tokens": [1]})
        assert back.status_code == status


@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("0.6.4", ["count", "max_model_len", "tokens"]),
        ("0.9.2", ["count", "max_model_len", "tokens", "token_strs"]),
    ],
)
async def test_tokenize_token_strs_and_the_round_trip(
    vllm: Any, version: str, keys: list[str]
) -> None:
    async with vllm(version) as client:
        body = {"model": "fake-model", "prompt": "Hello, world"}
        tokenized = (await client.post("/tokenize", json=body)).json()
        assert list(tokenized) == keys
        assert tokenized["count"] == len(tokenized["tokens"]) == 3
        assert tokenized["max_model_len"] == 8192
        assert tokenized.get("token_strs", None) is None
        back = await client.post(
            "/detokenize", json={"model": "fake-model", "tokens": tokenized["tokens"]}
        )
        assert back.json() == {"prompt": "Hello, world"}


async def test_tokenize_counts_a_chat_like_a_chat_prompt(vllm: Any) -> None:
    async with vllm("0.34.0") as client:
        body = {"model": "fake-model", "messages": CHAT["messages"], "return_token_strs": True}
        tokenized = (await client.post("/tokenize", json=body)).json()
        chat = (await client.post("/v1/chat/completions", json=CHAT)).json()
    assert tokenized["count"] == chat["usage"]["prompt_tokens"]
    assert tokenized["token_strs"][3:] == ["user", "hi"]


async def test_tokenize_unknown_model_is_the_release_404(vllm: Any) -> None:
    async with vllm("0.5.3") as client:
        response = await client.post("/tokenize", json={"model": "nope", "prompt": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == "The model `nope` does not exist."


@pytest.mark.parametrize(
    ("version", "echoed"), [("0.6.3", False), ("0.6.4", True), ("0.9.2", False)]
)
async def test_x_request_id_response_by_release(vllm: Any, version: str, echoed: bool) -> None:
    async with vllm(version, api_keys=("k",)) as client:
        given = await client.post(
            "/v1/chat/completions",
            json=CHAT,
            headers={"x-request-id": "mine", "authorization": "Bearer k"},
        )
        fresh = await client.get("/v1/models")  # 0.6.4 adds it after `authentication`: 401s too
    assert given.status_code == 200 and fresh.status_code == 401
    if echoed:
        assert given.headers["x-request-id"] == "mine"
        assert re.fullmatch("[0-9a-f]{32}", fresh.headers["x-request-id"])
    else:
        assert "x-request-id" not in given.headers and "x-request-id" not in fresh.headers

"""The fake LiteLLM in front of the fake SGLang, Ollama and llama.cpp behind ``openai/``, as
``serve stack --upstream`` runs them: what the real proxies were seen doing with each
(recordings/litellm/litellm-*+{sglang,ollama,llamacpp}-*.json)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from fakes.cli._stack_upstream import StackUpstream, UpstreamOptions, build_upstream
from fakes.litellm import UPSTREAM_PROVIDERS, stack_app
from fakes.model.faults import Fault, FaultKind, FaultRule
from tests.fakes.litellm.conftest import AUTH, KEY

HI = [{"role": "user", "content": "hi"}]
OLLAMA_ID = re.compile(r"chatcmpl-\d+")
UUID_ID = re.compile(r"chatcmpl-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _server(kind: str) -> StackUpstream:
    options = UpstreamOptions(
        model="fake-model",
        control_plane=True,
        control_token=None,
        log_limit=100,
        recordings_dir="recordings",
    )
    return build_upstream(kind, None, options)


@asynccontextmanager
async def _proxy(version: str, server: StackUpstream) -> AsyncIterator[httpx.AsyncClient]:
    app = stack_app(version, server.app, master_key=KEY, provider=UPSTREAM_PROVIDERS[server.kind])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
        yield client


def _events(text: str) -> list[Any]:
    payloads = [line[6:] for line in text.split("\n") if line.startswith("data: ")]
    return [orjson.loads(p) for p in payloads if p != "[DONE]"]


async def _chat(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    payload = {"model": "fake-model", "messages": HI, **body}
    return await client.post("/v1/chat/completions", json=payload, headers=AUTH)


def test_each_upstream_has_the_provider_its_users_configure() -> None:
    assert UPSTREAM_PROVIDERS == {
        "vllm": "hosted_vllm",
        "sglang": "openai",
        "ollama": "openai",
        "llamacpp": "openai",
    }


async def test_ollama_response_ids_renamed_by_1_110_kept_by_1_74() -> None:
    # knob: ollama_response_ids (true on 1.110, false on 1.74)
    async with _proxy("1.110.2", _server("ollama")) as client:
        body = (await _chat(client)).json()
    assert UUID_ID.fullmatch(body["id"]), body["id"]
    original = body["provider_specific_fields"]["original_response_id"]
    assert OLLAMA_ID.fullmatch(original), original
    assert list(body)[-1] == "provider_specific_fields"
    async with _proxy("1.74.15", _server("ollama")) as client:
        body = (await _chat(client)).json()
    assert OLLAMA_ID.fullmatch(body["id"]) and "provider_specific_fields" not in body


async def test_ollama_response_ids_bring_usage_nobody_asked_for_on_1_110() -> None:
    async with _proxy("1.110.2", _server("ollama")) as client:
        chunks = _events((await _chat(client, stream=True)).text)
    ids = {chunk["id"] for chunk in chunks}
    assert len(ids) == 1 and UUID_ID.fullmatch(ids.pop())
    originals = {c["provider_specific_fields"]["original_response_id"] for c in chunks}
    assert len(originals) == 1
    finish = [
        i for i, c in enumerate(chunks) if c["choices"] and "finish_reason" in c["choices"][0]
    ]
    # the finish, Ollama's usage chunk as an empty delta, then usage although not asked for
    assert finish == [len(chunks) - 3]
    assert chunks[-2]["choices"] == [{"index": 0, "delta": {}}] and "usage" not in chunks[-2]
    assert chunks[-1]["choices"] == [{"index": 0, "delta": {}}]
    assert chunks[-1]["usage"]["total_tokens"] > 0
    async with _proxy("1.74.15", _server("ollama")) as client:
        chunks = _events((await _chat(client, stream=True)).text)
    assert not any("usage" in c for c in chunks)


async def test_prompt_details_keys_wrap_the_upstreams_details_on_1_74() -> None:
    # knob: prompt_details_keys (chat bodies wrap them where nulls stay, 1.74)
    async with _proxy("1.74.15", _server("llamacpp")) as client:
        body = (await _chat(client)).json()
    details = body["usage"]["prompt_tokens_details"]
    assert list(details) == [
        "audio_tokens",
        "cache_write_tokens",
        "cached_tokens",
        "image_tokens",
        "text_tokens",
    ]
    assert details["cached_tokens"] == 0 and details["audio_tokens"] is None
    assert body["choices"][0]["provider_specific_fields"] == {}
    async with _proxy("1.110.2", _server("llamacpp")) as client:
        body = (await _chat(client)).json()
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert "timings" in body  # llama-server's own top-level key passes on


@pytest.mark.parametrize(("version", "second"), [("1.110.2", 429), ("1.74.15", 404)])
async def test_responses_cooldown_after_a_forwarded_404(version: str, second: int) -> None:
    # knob: responses_cooldown
    body = {"model": "fake-model", "input": "hi"}
    statuses = []
    async with _proxy(version, _server("sglang")) as client:
        for _ in range(2):
            response = await client.post("/v1/responses", json=body, headers=AUTH)
            statuses.append(response.status_code)
    # forwarded to SGLang, which has no /v1/responses, by 1.74 too (it bridges hosted_vllm/)
    assert statuses == [404, second]
    cooling = "No deployments available" in response.json()["error"]["message"]
    assert cooling == (second == 429)


@pytest.mark.parametrize("version", ["1.110.2", "1.74.15"])
async def test_an_openai_deployments_upstream_error_is_the_sdks_message(version: str) -> None:
    server = _server("sglang")
    fault = Fault(kind=FaultKind.HTTP_ERROR, status=500)
    server.app.state.fake.faults.set((FaultRule(fault=fault),))
    async with _proxy(version, server) as client:
        response = await _chat(client)
    assert response.status_code == 500
    message = response.json()["error"]["message"]
    assert message.startswith(
        "litellm.InternalServerError: InternalServerError: OpenAIException - Injected fault"
    ), message


async def test_sglangs_metadata_passes_on() -> None:
    async with _proxy("1.110.2", _server("sglang")) as client:
        body = (await _chat(client)).json()
    assert body["metadata"] == {"weight_version": "default"}
    assert list(body)[-1] == "metadata"

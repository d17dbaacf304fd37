"""/v1/responses forwarded upstream, by release: how 1.88/1.90 frame the stream and name the
model, and which headers each answer carries (1.110's framing beside them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config
from tests.fakes.litellm.conftest import AUTH, KEY

BODY = {"model": "alias", "input": "hi", "max_output_tokens": 16}


@asynccontextmanager
async def aliased(version: str, vllm_version: str = "0.34.0") -> AsyncIterator[httpx.AsyncClient]:
    """The fake proxy whose alias "alias" is the upstream's "fake-model"."""
    vllm = create_vllm_app(vllm_config(vllm_version))
    profile, release = resolve_litellm_profile(version, None)
    deployment = Deployment(
        "alias", "hosted_vllm", "fake-model", api_base="http://upstream.fake/v1"
    )
    config = LitellmConfig(profile, release, (deployment,), master_key=KEY)
    proxy = create_litellm_app(config, transport=StreamingASGITransport(vllm))
    transport = httpx.ASGITransport(app=proxy)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
        yield client


def _events(text: str) -> list[dict[str, object]]:
    found = []
    for line in text.splitlines():
        if line.startswith("data: {"):
            found.append(orjson.loads(line.removeprefix("data: ")))
    return found


async def test_190_streams_data_lines_then_done_with_the_upstream_model_inside() -> None:
    # knobs responses_event_lines, responses_stream_model
    async with aliased("1.90.7") as client:
        stream = await client.post("/v1/responses", json={**BODY, "stream": True}, headers=AUTH)
    assert stream.status_code == 200
    assert not [line for line in stream.text.splitlines() if line.startswith("event:")]
    assert stream.text.endswith("data: [DONE]\n\n")
    events = _events(stream.text)
    assert events[0]["type"] == "response.created" and events[-1]["type"] == "response.completed"
    assert {e["model"] for e in events} == {"alias"}
    for event in (events[0], events[-1]):
        response = event["response"]
        assert isinstance(response, dict) and response["model"] == "fake-model"


async def test_110_keeps_the_event_lines_and_names_the_alias_inside() -> None:
    async with aliased("1.110.2") as client:
        stream = await client.post("/v1/responses", json={**BODY, "stream": True}, headers=AUTH)
    lines = stream.text.splitlines()
    assert lines[0] == "event: response.created"
    assert "data: [DONE]" not in lines
    response = _events(stream.text)[0]["response"]
    assert isinstance(response, dict) and response["model"] == "alias"


async def test_190_responses_headers_name_the_deployment_and_the_upstream() -> None:
    # knobs responses_headers, responses_stream_headers
    async with aliased("1.90.7") as client:
        plain = await client.post("/v1/responses", json=BODY, headers=AUTH)
        stream = await client.post("/v1/responses", json={**BODY, "stream": True}, headers=AUTH)
    assert plain.status_code == stream.status_code == 200
    for answer in (plain, stream):
        assert answer.headers["x-litellm-model-id"]
        assert "x-litellm-overhead-duration-ms" not in answer.headers
    assert plain.headers["llm_provider-content-type"] == "application/json"
    assert stream.headers["llm_provider-content-type"].startswith("text/event-stream")
    assert "x-litellm-model-group" not in stream.headers


async def test_upstream_404_on_responses_names_the_deployment_and_each_release_timeout() -> None:
    # knobs responses_upstream_error_headers, generic_api_timeout
    for version, timeout in (("1.90.7", "600.0"), ("1.88.6", "6000.0")):
        async with aliased(version, "0.9.2") as client:
            answer = await client.post("/v1/responses", json=BODY, headers=AUTH)
        assert answer.status_code == 404, version
        assert answer.headers["x-litellm-model-id"], version
        assert answer.headers["x-litellm-timeout"] == timeout, version
        assert answer.headers["x-litellm-version"] == version


async def test_190_usage_details_are_its_own_models() -> None:
    # knobs responses_input_details, responses_output_details
    async with aliased("1.90.7") as client:
        body = (await client.post("/v1/responses", json=BODY, headers=AUTH)).json()
    inputs, outputs = body["usage"]["input_tokens_details"], body["usage"]["output_tokens_details"]
    assert list(inputs)[:3] == ["audio_tokens", "cached_tokens", "text_tokens"]
    assert "image_tokens" not in inputs and "cached_tokens_details" not in inputs
    assert list(outputs)[:2] == ["reasoning_tokens", "text_tokens"]
    assert "audio_tokens" not in outputs


async def test_190_chat_refusal_joins_the_provider_fields() -> None:
    # knob message_refusal_field
    async with aliased("1.90.7") as client:
        chat = {"model": "alias", "messages": [{"role": "user", "content": "hi"}]}
        body = (await client.post("/v1/chat/completions", json=chat, headers=AUTH)).json()
    message = body["choices"][0]["message"]
    assert "refusal" not in message
    assert message["provider_specific_fields"] == {"reasoning": None, "refusal": None}


async def test_190_cooldown_429_names_no_cooldown_note_and_188_no_retry_after() -> None:
    # knobs cooldown_all_note, cooldown_retry_after
    for version, retry_after in (("1.90.7", True), ("1.88.6", False)):
        async with aliased(version, "0.9.2") as client:
            await client.post("/v1/responses", json=BODY, headers=AUTH)  # a 404: cools down
            cooled = await client.post("/v1/responses", json=BODY, headers=AUTH)
        message = cooled.json()["error"]["message"]
        assert cooled.status_code == 429, version
        assert "seconds. Passed model=alias. pre-call-checks=False" in message
        assert ("retry-after" in cooled.headers) is retry_after, version


async def test_190_function_tools_are_openai_2_54s() -> None:
    # knob responses_tool_fields
    tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    async with aliased("1.90.7") as client:
        body = (
            await client.post("/v1/responses", json={**BODY, "tools": [tool]}, headers=AUTH)
        ).json()
    assert list(body["tools"][0])[:8] == [
        "name", "parameters", "strict", "type", "allowed_callers", "defer_loading",
        "description", "output_schema",
    ]  # fmt: skip

"""Routes, bodies and headers per release: chat, mock deployments, models, health, responses."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from fakes.litellm import LitellmConfig, create_litellm_app, parse_config, resolve_litellm_profile
from tests.conftest import stable
from tests.fakes.litellm.conftest import AUTH, KEY, VERSIONS

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}

PLAIN_110 = (
    '{"id":"*","created":"*","model":"fake-model","object":"chat.completion","choices":[{'
    '"finish_reason":"length","index":0,"message":{"content":"Lorem ipsum dolor sit amet",'
    '"role":"assistant"},"provider_specific_fields":{"stop_reason":null},"logprobs":null,'
    '"stop_reason":null}],"usage":{"completion_tokens":5,"prompt_tokens":5,"total_tokens":10}}'
)
PLAIN_174 = (
    '{"id":"*","created":"*","model":"hosted_vllm/fake-model","object":"chat.completion",'
    '"system_fingerprint":null,"choices":[{"finish_reason":"length","index":0,"message":{'
    '"content":"Lorem ipsum dolor sit amet","role":"assistant","tool_calls":null,'
    '"function_call":null},"provider_specific_fields":{"stop_reason":null}}],"usage":{'
    '"completion_tokens":5,"prompt_tokens":5,"total_tokens":10,"completion_tokens_details":null,'
    '"prompt_tokens_details":null},"metadata":null,"moderation":null,"service_tier":null,'
    '"prompt_logprobs":null,"kv_transfer_params":null}'
)


@pytest.mark.parametrize(("version", "body"), [("1.110.2", PLAIN_110), ("1.74.15", PLAIN_174)])
async def test_plain_body(stack: Any, version: str, body: str) -> None:
    async with stack(version) as s:
        response = await s.client.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert stable(response.text) == body


HEADERS_110 = {
    "x-litellm-call-id",
    "x-litellm-model-id",
    "x-litellm-model-name",
    "x-litellm-model-api-base",
    "x-litellm-version",
    "x-litellm-key-spend",
    "x-litellm-response-duration-ms",
    "x-litellm-overhead-duration-ms",
    "x-litellm-callback-duration-ms",
    "x-litellm-model-group",
    "x-litellm-attempted-retries",
    "x-litellm-attempted-fallbacks",
}


async def test_response_headers_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        response = await s.client.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        names = set(response.headers)
        assert {n for n in names if n.startswith("x-litellm")} == HEADERS_110
        assert {"llm_provider-content-type", "llm_provider-content-length"} <= names
        assert response.headers["x-litellm-version"] == "1.110.2"
        assert response.headers["x-litellm-model-name"] == "hosted_vllm/fake-model"
        assert response.headers["x-content-type-options"] == "nosniff"
        stream = await s.client.post(
            "/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH
        )
        assert stream.headers["cache-control"] == "no-cache"
        assert stream.headers["x-accel-buffering"] == "no"
        assert "x-litellm-response-cost-original" in stream.headers


async def test_stream_headers_174(stack: Any) -> None:
    async with stack("1.74.15") as s:
        stream = await s.client.post(
            "/v1/chat/completions", json={**CHAT, "stream": True}, headers=AUTH
        )
        assert {n for n in stream.headers if n.startswith("x-litellm")} == {
            "x-litellm-call-id",
            "x-litellm-model-id",
            "x-litellm-model-api-base",
            "x-litellm-version",
            "x-litellm-key-spend",
        }
        assert "cache-control" not in stream.headers


@pytest.mark.parametrize(
    "path",
    [
        "/chat/completions",
        "/engines/fake-model/chat/completions",
        "/openai/deployments/fake-model/chat/completions",
    ],
)
async def test_other_chat_routes(stack: Any, path: str) -> None:
    async with stack("1.110.2") as s:
        body = {"messages": CHAT["messages"], "max_tokens": 2}
        if path == "/chat/completions":
            body["model"] = "fake-model"
        response = await s.client.post(path, json=body, headers=AUTH)
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"] == "Lorem ipsum"


@pytest.mark.parametrize("version", VERSIONS)
async def test_models(stack: Any, version: str) -> None:
    async with stack(version) as s:
        assert (await s.client.get("/v1/models")).status_code == 401
        response = await s.client.get("/v1/models", headers=AUTH)
        entry = {"id": "fake-model", "object": "model", "created": 1677610602, "owned_by": "openai"}
        if version == "1.110.2":
            entry |= {"max_input_tokens": 8192, "max_output_tokens": 8192}
        assert response.json() == {"data": [entry], "object": "list"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_health(stack: Any, version: str) -> None:
    async with stack(version) as s:
        alive = await s.client.get("/health/liveliness")
        assert (alive.status_code, alive.content) == (200, b'"I\'m alive!"')
        ready = (await s.client.get("/health/readiness")).json()
        assert ready["db"] == "Not connected"
        assert ("litellm_version" in ready) is (version == "1.74.15")


async def test_responses_forwarded_110_fails_on_old_vllm_then_cools_down(stack: Any) -> None:
    async with stack("1.110.2", "0.9.2") as s:
        body = {"model": "fake-model", "input": "hi"}
        first = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert first.status_code == 404
        assert '{\\"detail\\":\\"Not Found\\"}' in first.text
        assert s.upstream_requests()[0].path == "/v1/responses"
        second = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert second.status_code == 429
        chat = await s.client.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        assert chat.status_code == 429


async def test_responses_forwarded_110_to_a_vllm_that_has_it(stack: Any) -> None:
    async with stack("1.110.2", "0.12.0") as s:
        body = {"model": "fake-model", "input": "hi", "max_output_tokens": 4}
        response = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert response.status_code == 200
        data = response.json()
        assert data["object"] == "response" and data["id"].startswith("resp_")
        assert data["model"] == "fake-model"


async def test_responses_bridged_to_chat_174(stack: Any) -> None:
    async with stack("1.74.15", "0.9.2") as s:
        body = {"model": "fake-model", "input": "hi", "max_output_tokens": 3}
        response = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert response.status_code == 200
        data = response.json()
        assert data["object"] == "chat.completion"
        assert data["output"][0]["content"][0]["text"] == "Lorem ipsum dolor"
        assert data["usage"]["output_tokens"] == 3
        assert s.upstream_requests()[0].path == "/v1/chat/completions"
        stream = await s.client.post("/v1/responses", json={**body, "stream": True}, headers=AUTH)
        events = [orjson.loads(e) for e in stream.text.split("data: ")[1:] if e.startswith("{")]
        assert [e["type"] for e in events] == ["response.output_text.delta"] * 3 + [
            "response.completed"
        ]
        assert stream.text.endswith("data: [DONE]\n\n")


CONFIG = """
model_list:
  - model_name: canned
    litellm_params:
      model: openai/gpt-4o
      mock_response: "Hello from mock"
  - model_name: nobase
    litellm_params:
      model: hosted_vllm/x
general_settings:
  master_key: {key}
"""


def _mock_client(version: str) -> httpx.AsyncClient:
    profile, release = resolve_litellm_profile(version, None)
    config: LitellmConfig = parse_config(CONFIG.format(key=KEY), "config.yaml", profile, release)
    transport = httpx.ASGITransport(app=create_litellm_app(config))
    return httpx.AsyncClient(transport=transport, base_url="http://proxy")


@pytest.mark.parametrize(("version", "model"), [("1.110.2", "canned"), ("1.74.15", "gpt-4o")])
async def test_mock_response(version: str, model: str) -> None:
    async with _mock_client(version) as client:
        body = {"model": "canned", "messages": [{"role": "user", "content": "hi"}]}
        response = await client.post("/v1/chat/completions", json=body, headers=AUTH)
        data = response.json()
        assert data["model"] == model
        assert data["choices"][0]["message"]["content"] == "Hello from mock"
        assert data["usage"]["total_tokens"] == 30
        stream = await client.post(
            "/v1/chat/completions", json={**body, "stream": True}, headers=AUTH
        )
        deltas = [
            orjson.loads(e)["choices"][0]["delta"]
            for e in stream.text.split("data: ")[1:]
            if e.startswith("{")
        ]
        assert deltas[0] == {"content": "Hel", "role": "assistant"}
        assert "".join(d.get("content", "") for d in deltas) == "Hello from mock"


async def test_no_api_base_answers_itself() -> None:
    async with _mock_client("1.110.2") as client:
        body = {"model": "nobase", "messages": [{"role": "user", "content": "hi"}]}
        response = await client.post("/v1/chat/completions", json=body, headers=AUTH)
        assert response.json()["choices"][0]["message"]["content"] == "This is a mock request"


async def test_control_plane_logs_and_patches_knobs(stack: Any) -> None:
    async with stack("1.110.2") as s:
        await s.client.post("/v1/chat/completions", json=CHAT, headers=AUTH)
        log = (await s.client.get("/_fake/requests")).json()["requests"]
        assert [e["path"] for e in log] == ["/v1/chat/completions"]
        assert log[0]["headers"]["authorization"] == "Bearer [redacted]"
        patched = await s.client.patch("/_fake/profile", json={"security_headers": False})
        assert patched.json()["overrides"] == {"security_headers": False}
        response = await s.client.get("/health/liveliness")
        assert "x-frame-options" not in response.headers
        bad = await s.client.patch("/_fake/profile", json={"error_shape": "flat"})
        assert bad.status_code == 400 and "auth_param" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("version", "fields"),
    [
        ("1.110.2", ["mode", "max_input_tokens", "max_output_tokens"]),
        ("1.90.7", ["max_input_tokens", "max_output_tokens"]),
        ("1.88.6", []),
    ],
)
async def test_models_show_what_each_release_knows_of_gpt_4o(
    version: str, fields: list[str]
) -> None:
    # knob models_known_fields
    async with _mock_client(version) as client:
        entries = (await client.get("/v1/models", headers=AUTH)).json()["data"]
    canned = next(e for e in entries if e["id"] == "canned")
    assert list(canned)[4:] == fields

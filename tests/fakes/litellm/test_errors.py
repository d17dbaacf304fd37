"""Auth, request and upstream errors per release: status, exact body, headers; retries and
cooldown."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.litellm import _state as litellm_state
from fakes.model.faults import Fault, FaultKind, FaultRule
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config
from tests.fakes.litellm.conftest import AUTH, KEY, VERSIONS

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
PARAM_NONE = {"1.74.15": "None", "1.110.2": None}


def _error(response: Any) -> Any:
    return orjson.loads(response.content)["error"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_missing_key(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post("/v1/chat/completions", json=CHAT)
        assert response.status_code == 401
        assert orjson.loads(response.content) == {
            "error": {
                "message": "Authentication Error, No api key passed in.",
                "type": "auth_error",
                "param": PARAM_NONE[version],
                "code": "401",
            }
        }
        assert not [h for h in response.headers if h.startswith("x-litellm")]


@pytest.mark.parametrize("version", VERSIONS)
async def test_key_without_bearer_prefix_is_malformed(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post(
            "/v1/chat/completions", json=CHAT, headers={"Authorization": KEY}
        )
        assert response.status_code == 401
        assert _error(response)["message"] == (
            "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix."
        )


@pytest.mark.parametrize("version", VERSIONS)
async def test_wrong_key_without_db_is_400(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post(
            "/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer sk-wrong"}
        )
        assert response.status_code == 400
        assert response.content == (
            b'{"error":{"message":"No connected db.","type":"no_db_connection",'
            b'"param":null,"code":"400"}}'
        )


@pytest.mark.parametrize("header", ["x-litellm-api-key", "api-key", "x-api-key"])
async def test_the_other_key_headers(stack: Any, header: str) -> None:
    async with stack("1.110.2") as s:
        response = await s.client.post("/v1/chat/completions", json=CHAT, headers={header: KEY})
        assert response.status_code == 200


async def test_no_master_key_means_no_auth(stack: Any) -> None:
    async with stack("1.110.2", master_key=None) as s:
        assert (await s.client.post("/v1/chat/completions", json=CHAT)).status_code == 200


async def test_unknown_model_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        response = await s.chat(model="nope")
        text = (
            "/chat/completions: Invalid model name passed in model=nope. "
            "Call `/v1/models` to view available models for your key."
        )
        assert response.status_code == 400
        assert _error(response) == {
            "message": text,
            "type": "invalid_request_error",
            "param": None,
            "code": "400",
            "provider_specific_fields": {"error": text},
        }
        assert "x-litellm-call-id" in response.headers


async def test_unknown_model_174(stack: Any) -> None:
    async with stack("1.74.15") as s:
        response = await s.client.post("/v1/chat/completions", json={"messages": []}, headers=AUTH)
        assert response.status_code == 400
        assert _error(response) == {
            "message": "{'error': '/chat/completions: Invalid model name passed in model=None. "
            "Call `/v1/models` to view available models for your key.'}",
            "type": "None",
            "param": "None",
            "code": "400",
        }


@pytest.mark.parametrize(
    ("version", "status", "param"),
    [("1.110.2", 400, "messages"), ("1.74.15", 500, "None")],
)
async def test_missing_messages(stack: Any, version: str, status: int, param: str) -> None:
    async with stack(version) as s:
        response = await s.client.post(
            "/v1/chat/completions", json={"model": "fake-model"}, headers=AUTH
        )
        assert response.status_code == status
        assert _error(response)["param"] == param


@pytest.mark.parametrize("version", VERSIONS)
async def test_malformed_json(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.client.post(
            "/v1/chat/completions",
            content=b'{"model":',
            headers={**AUTH, "content-type": "application/json"},
        )
        assert response.status_code == 400
        assert response.content == (
            b'{"error":{"message":"Invalid JSON payload: unexpected end of data: line 1 column 10 '
            b'(char 9)","type":"invalid_request_error","param":"request_body","code":"400"}}'
        )


@pytest.mark.parametrize("version", VERSIONS)
async def test_unknown_route_and_wrong_method(stack: Any, version: str) -> None:
    async with stack(version) as s:
        missing = await s.client.get("/v1/nothing")
        assert (missing.status_code, missing.content) == (404, b'{"detail":"Not Found"}')
        wrong = await s.client.get("/v1/chat/completions", headers=AUTH)
        assert (wrong.status_code, wrong.content) == (405, b'{"detail":"Method Not Allowed"}')
        assert wrong.headers["allow"] == "POST"
        secure = "x-frame-options" in missing.headers
        assert secure is (version == "1.110.2")


async def test_upstream_500_is_wrapped_and_retried_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        s.fault(kind="http_error", status=500)
        response = await s.chat()
        upstream = (
            '{"object":"error","message":"Injected fault","type":"InternalServerError",'
            '"param":null,"code":500}'
        )
        assert response.status_code == 500
        assert _error(response) == {
            "message": "litellm.InternalServerError: InternalServerError: Hosted_vllmException - "
            f"{upstream}\n\nLiteLLM: model group 'fake-model' failed with the error above. "
            "No fallback was attempted.",
            "type": "internal_server_error",
            "param": None,
            "code": "500",
        }
        assert len(s.upstream_requests()) == 3
        assert "llm_provider-content-type" in response.headers


async def test_upstream_500_on_a_stream_is_a_plain_json_error_174(stack: Any) -> None:
    async with stack("1.74.15") as s:
        s.fault(kind="http_error", status=500)
        response = await s.chat(stream=True)
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        assert _error(response) == {
            "message": "litellm.InternalServerError: InternalServerError: Hosted_vllmException - "
            "Injected fault. Received Model Group=fake-model\nAvailable Model Group Fallbacks=None",
            "type": None,
            "param": None,
            "code": "500",
        }
        assert len(s.upstream_requests()) == 3


async def test_num_retries_from_the_config(stack: Any) -> None:
    async with stack("1.110.2", num_retries=0) as s:
        s.fault(kind="http_error", status=503)
        assert (await s.chat()).status_code == 503
        assert len(s.upstream_requests()) == 1


@pytest.mark.parametrize("version", VERSIONS)
async def test_upstream_404_cools_the_deployment_down(stack: Any, version: str) -> None:
    async with stack(version) as s:
        s.fault(kind="http_error", status=404, message="nope")
        first = await s.chat()
        assert first.status_code == 404
        assert len(s.upstream_requests()) == 1  # not retried
        s.upstream.state.fake.faults.set(())
        second = await s.chat()
        assert second.status_code == 429
        assert len(s.upstream_requests()) == 1  # not sent upstream
        error = _error(second)
        assert error["message"].startswith(
            "No deployments available for selected model, Try again in 5 seconds. "
        )
        assert error["code"] == "429"
        if version == "1.110.2":
            assert second.headers["retry-after"] == "5"
            assert error["type"] == "all_deployments_in_cooldown"
        else:
            assert "retry-after" not in second.headers
            assert (
                "'exception_received': 'litellm.NotFoundError: NotFoundError: " in error["message"]
            )


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_cooldown_list_names_every_cooling_deployment(version: str) -> None:
    """Router-wide, as both releases list it: another group's deployment in cooldown is
    named too (seen: 1.110.2 listed three ids after three groups' /v1/responses 404s)."""
    upstream = create_vllm_app(vllm_config("0.9.2"))
    upstream.state.fake.faults.set((FaultRule(fault=Fault(kind=FaultKind.HTTP_ERROR, status=404)),))
    profile, release = resolve_litellm_profile(version, None)
    deployments = tuple(
        Deployment(name, "hosted_vllm", "fake-model", api_base="http://upstream.fake/v1")
        for name in ("first", "second")
    )
    config = LitellmConfig(profile, release, deployments, master_key=KEY)
    proxy = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    transport = httpx.ASGITransport(app=proxy)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
        for name in ("first", "second"):
            body = {**CHAT, "model": name}
            assert (await client.post("/v1/chat/completions", json=body, headers=AUTH)).is_error
        again = await client.post(
            "/v1/chat/completions", json={**CHAT, "model": "first"}, headers=AUTH
        )
    assert again.status_code == 429
    listed = _error(again)["message"].split("cooldown_list=", 1)[1]
    assert [d.model_id for d in deployments if d.model_id in listed] == [
        d.model_id for d in deployments
    ]


async def test_cooldown_ends_after_cooldown_time(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.monotonic()]  # the cooldowns' clock, moved by hand: no real time passes
    clock = SimpleNamespace(monotonic=lambda: now[0], time=time.time)
    monkeypatch.setattr(litellm_state, "time", clock)
    async with stack("1.110.2", cooldown_time=5) as s:
        s.fault(kind="http_error", status=404)
        assert (await s.chat()).status_code == 404
        s.upstream.state.fake.faults.set(())
        now[0] += 4.9
        assert (await s.chat()).status_code == 429  # still cooling down
        now[0] += 0.2
        assert (await s.chat()).status_code == 200


async def test_reset_clears_cooldowns(stack: Any) -> None:
    async with stack("1.110.2") as s:
        s.fault(kind="http_error", status=404)
        await s.chat()
        s.upstream.state.fake.faults.set(())
        assert (await s.client.post("/_fake/reset")).status_code == 200
        assert (await s.chat()).status_code == 200


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "1.110.2",
            r"litellm.InternalServerError: InternalServerError: Hosted_vllmException - Cannot "
            r"connect to host REDACTED:9 ssl:<ssl.SSLContext object at 0x[0-9a-f]+> \[Connect "
            r"call failed \('REDACTED', 9\)\]\n\nLiteLLM: model group 'fake-model' failed",
        ),
        (
            "1.74.15",
            r"litellm.InternalServerError: InternalServerError: Hosted_vllmException - "
            r"Connection error.. Received Model Group=fake-model\n",
        ),
    ],
)
async def test_unreachable_upstream(version: str, message: str) -> None:
    profile, release = resolve_litellm_profile(version, None)
    deployment = Deployment("fake-model", "hosted_vllm", "fake-model", "http://127.0.0.1:9/v1")
    app = create_litellm_app(LitellmConfig(profile, release, (deployment,), num_retries=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as c:
        for stream in (False, True):
            response = await c.post("/v1/chat/completions", json={**CHAT, "stream": stream})
            assert response.status_code == 500
            assert re.match(message, _error(response)["message"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_retried_success_says_so(stack: Any, version: str) -> None:
    async with stack(version) as s:
        rule = FaultRule(fault=Fault(kind=FaultKind.HTTP_ERROR, status=500), nth=1)
        s.upstream.state.fake.faults.set((rule,))
        response = await s.chat()
        assert response.status_code == 200
        assert response.headers["x-litellm-attempted-retries"] == "1"
        assert response.headers["x-litellm-max-retries"] == "2"
        assert len(s.upstream_requests()) == 2


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "1.110.2",
            'litellm.BadRequestError: Hosted_vllmException - {"object":"error","message":'
            '"max_tokens must be at least 1, got -1.","type":"BadRequestError","param":null,'
            "\"code\":400}\n\nLiteLLM: model group 'fake-model' failed with the error above. "
            "No fallback was attempted.",
        ),
        (
            "1.74.15",
            "litellm.BadRequestError: Hosted_vllmException - max_tokens must be at least 1, "
            "got -1.. Received Model Group=fake-model\nAvailable Model Group Fallbacks=None",
        ),
    ],
)
async def test_an_upstream_400_names_its_class_once(stack: Any, version: str, message: str) -> None:
    # seen on the real proxies in front of the fake vLLM 0.9.2
    async with stack(version) as s:
        response = await s.chat(max_tokens=-1)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


@pytest.mark.parametrize(
    ("version", "status", "message"),
    [
        (
            "1.110.2",
            400,
            "Invalid request format: litellm.APIConnectionError: APIConnectionError: "
            "Hosted_vllmException - 'str' object has no attribute 'get'\n\nLiteLLM: model group "
            "'fake-model' failed with the error above. No fallback was attempted. LiteLLM "
            "Retried: 2 times, LiteLLM Max Retries: 2",
        ),
        (
            "1.74.15",
            500,
            "litellm.APIConnectionError: APIConnectionError: Hosted_vllmException - 'str' object "
            "has no attribute 'get'. Received Model Group=fake-model\n"
            "Available Model Group Fallbacks=None",
        ),
    ],
)
async def test_malformed_messages_are_answered_by_the_proxy(
    stack: Any, version: str, status: int, message: str
) -> None:
    # seen on the real proxies: no upstream call, the proxy's own error
    async with stack(version) as s:
        response = await s.chat(messages="not a list")
        assert [e.method for e in s.upstream_requests()] == []
    assert (response.status_code, response.json()["error"]["message"]) == (status, message)


@pytest.mark.parametrize(("version", "quoted"), [("1.90.7", True), ("1.74.15", False)])
async def test_the_received_model_group_form_quotes_the_body_by_release(
    stack: Any, version: str, quoted: bool
) -> None:
    # knob upstream_error_body
    async with stack(version) as s:
        s.fault(kind="http_error", status=400, message="nope")
        message = _error(await s.chat())["message"]
    assert message.endswith("Received Model Group=fake-model\nAvailable Model Group Fallbacks=None")
    assert ('Hosted_vllmException - {"object":"error","message":"nope"' in message) is quoted
    assert ("Hosted_vllmException - nope. Received" in message) is not quoted


@pytest.mark.parametrize(("version", "typed"), [("1.90.7", False), ("1.110.2", True)])
async def test_the_unknown_model_400_by_release(stack: Any, version: str, typed: bool) -> None:
    # knob unknown_model_typed
    async with stack(version) as s:
        error = _error(await s.chat(model="no-such-model"))
    expected = ("invalid_request_error", None) if typed else ("None", "None")
    assert (error["type"], error["param"]) == expected
    assert error["provider_specific_fields"]["error"] == error["message"]

"""Error statuses and bodies per release (api_server.py handlers, serving_engine.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CHAT, WEATHER_TOOLS

FLAT = ["0.4.3", "0.5.3", "0.6.3", "0.6.4", "0.9.2", "0.10.0"]
NESTED = ["0.10.1.1", "0.11.0", "0.12.0"]


def _error(body: dict[str, Any], nested: bool) -> dict[str, Any]:
    if nested:
        assert set(body) == {"error"}
        return dict(body["error"])
    assert body.pop("object") == "error"
    return body


@pytest.mark.parametrize("version", FLAT + NESTED)
async def test_unknown_model_is_404_not_found(vllm: Any, version: str) -> None:
    async with vllm(version) as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "model": "gpt-x"})
    assert response.status_code == 404
    error = _error(response.json(), version in NESTED)
    assert error == {
        "message": "The model `gpt-x` does not exist.",
        "type": "NotFoundError",
        "param": None,
        "code": 404,
    }


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        ("0.4.3", "BadRequestError"),
        ("0.6.4", "BadRequestError"),
        ("0.8.5", "BadRequestError"),
        ("0.9.2", "Bad Request"),
    ],
)
async def test_missing_messages_is_400_with_fastapi_error_repr(
    vllm: Any, version: str, kind: str
) -> None:
    async with vllm(version) as client:
        response = await client.post("/v1/chat/completions", json={"model": "fake-model"})
    assert response.status_code == 400
    error = _error(response.json(), version in NESTED)
    assert error["type"] == kind
    assert error["code"] == 400
    assert error["message"] == (
        "[{'type': 'missing', 'loc': ('body', 'messages'), "
        "'msg': 'Field required', 'input': {'model': 'fake-model'}}]"
    )


@pytest.mark.parametrize("version", ["0.4.3", "0.9.2", "0.12.0"])
async def test_malformed_json_is_400_json_invalid(vllm: Any, version: str) -> None:
    async with vllm(version) as client:
        response = await client.post(
            "/v1/chat/completions",
            content=b'{"model":',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400
    message = _error(response.json(), version in NESTED)["message"]
    listed = (
        "[{'type': 'json_invalid', 'loc': ('body', 9), 'msg': 'JSON decode error',"
        " 'input': {}, 'ctx': {'error': 'Expecting value'}}]"
    )
    if version == "0.12.0":  # the newest FastAPI counts and names the endpoint, then the list
        assert message.startswith("1 validation error:\n  {'type': 'json_invalid'")
        assert message.endswith(
            "in create_chat_completion\n    POST /v1/chat/completions " + listed
        )
    else:
        assert message == listed


@pytest.mark.parametrize(
    ("version", "status"), [("0.6.4", 400), ("0.6.5", 200), ("0.6.6", 200), ("0.9.2", 200)]
)
async def test_unknown_request_fields_rejected_until_0_6_4_ignored_after(
    vllm: Any, version: str, status: int
) -> None:
    async with vllm(version) as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "foo": 1})
    assert response.status_code == status
    if status == 400:
        assert response.json()["message"] == (
            "[{'type': 'extra_forbidden', 'loc': ('body', 'foo'), "
            "'msg': 'Extra inputs are not permitted', 'input': 1}]"
        )


async def test_max_completion_tokens_is_unknown_to_0_6_3(vllm: Any) -> None:
    async with vllm("0.6.3") as client:
        response = await client.post(
            "/v1/chat/completions", json={**CHAT, "max_completion_tokens": 5}
        )
    assert response.status_code == 400
    assert "'loc': ('body', 'max_completion_tokens')" in response.json()["message"]


async def test_wrong_type_is_400_never_422(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "n": "x"})
    assert response.status_code == 400
    assert "'type': 'int_parsing', 'loc': ('body', 'n')" in response.json()["message"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.5.3", "stream_options can only be set if stream is true"),
        ("0.9.2", "Stream options can only be defined when `stream=True`."),
    ],
)
async def test_stream_options_without_stream_is_400(vllm: Any, version: str, message: str) -> None:
    async with vllm(version) as client:
        response = await client.post(
            "/v1/chat/completions", json={**CHAT, "stream_options": {"include_usage": True}}
        )
    assert response.status_code == 400
    assert f"'msg': 'Value error, {message}'" in response.json()["message"]


async def test_stream_options_rejected_by_0_4_as_unknown_field(vllm: Any) -> None:
    async with vllm("0.4.3") as client:
        response = await client.post(
            "/v1/chat/completions",
            json={**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        )
    assert response.status_code == 400
    assert "'type': 'extra_forbidden', 'loc': ('body', 'stream_options')" in response.text


@pytest.mark.parametrize("version", ["0.6.3", "0.9.2", "0.12.0"])
async def test_auto_tool_choice_without_server_flags_is_400(vllm: Any, version: str) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    async with vllm(version) as client:
        # Tools without tool_choice mean "auto" from 0.6.3 on.
        response = await client.post("/v1/chat/completions", json={**CHAT, "tools": tools})
    assert response.status_code == 400
    error = _error(response.json(), version in NESTED)
    assert error["message"] == (
        '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
    )
    assert error["type"] == "BadRequestError"


async def test_0_5_only_honours_named_tool_choice(vllm: Any) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    async with vllm("0.5.3") as client:
        response = await client.post(
            "/v1/chat/completions", json={**CHAT, "tools": tools, "tool_choice": "auto"}
        )
    assert response.status_code == 400
    assert "Currently only named tools are supported." in response.json()["message"]


async def test_0_9_invalid_tool_choice_string_is_a_plain_500(vllm: Any) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    async with vllm("0.9.2") as client:
        response = await client.post(
            "/v1/chat/completions", json={**CHAT, "tools": tools, "tool_choice": "any"}
        )
    assert (response.status_code, response.text) == (500, "Internal Server Error")


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        ("GET", "/v1/nope", 404, "Not Found"),
        ("GET", "/v1/chat/completions", 405, "Method Not Allowed"),
    ],
)
async def test_routing_errors_use_fastapi_detail(
    vllm: Any, method: str, path: str, status: int, detail: str
) -> None:
    async with vllm("0.12.0") as client:
        response = await client.request(method, path)
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    if status == 405:
        assert response.headers["allow"] == "POST"


async def test_context_length_is_a_400(vllm: Any) -> None:
    async with vllm("0.9.2", max_model_len=64) as client:
        response = await client.post("/v1/chat/completions", json={**CHAT, "max_tokens": 100})
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "This model's maximum context length is 64 tokens. However, you requested 105 tokens"
    )


async def test_non_json_content_type_from_0_9(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        response = await client.post(
            "/v1/chat/completions", content=b"{}", headers={"content-type": "text/plain"}
        )
    assert response.status_code == 400
    assert response.json()["message"] == (
        " [\"Unsupported Media Type: Only 'application/json' is allowed\"]"
    )


class TestApiKey:
    async def test_v1_paths_answer_401_before_routing(self, vllm: Any) -> None:
        async with vllm("0.9.2", api_keys=("secret",)) as client:
            absent = await client.get("/v1/responses")
            chat = await client.post("/v1/chat/completions", json=CHAT)
        assert (absent.status_code, absent.content) == (401, b'{"error":"Unauthorized"}')
        assert (chat.status_code, chat.json()) == (401, {"error": "Unauthorized"})

    async def test_health_version_metrics_stay_open(self, vllm: Any) -> None:
        async with vllm("0.9.2", api_keys=("secret",)) as client:
            for path in ("/health", "/version", "/metrics"):
                assert (await client.get(path)).status_code == 200

    async def test_right_key_passes(self, vllm: Any) -> None:
        async with vllm("0.10.1.1", api_keys=("a", "b")) as client:
            response = await client.post(
                "/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer b"}
            )
        assert response.status_code == 200


@pytest.mark.parametrize("version", ["0.10.0", "0.12.0", "0.25.0"])
async def test_unknown_tool_choice_string_is_a_400_from_0_10(vllm: Any, version: str) -> None:
    # protocol.py check_tool_usage: a ValueError from 0.10.0 on (0.9 raised NotImplementedError)
    body = {**CHAT, "tools": WEATHER_TOOLS, "tool_choice": "sometimes"}
    async with vllm(version, enable_auto_tool_choice=True, tool_call_parser="hermes") as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    message = error["error"]["message"] if "error" in error else error["message"]
    assert (
        'Value error, Invalid value for `tool_choice`: sometimes! Only named tools, "none", '
        '"auto" or "required" are supported.'
    ) in message

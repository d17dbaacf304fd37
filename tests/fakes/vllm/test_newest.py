"""What 0.21 ... 0.33 changed on the wire, each knob by name. Expected bytes are read from
each wheel's protocol classes (field order) and serving code (what is set explicitly, so
``exclude_unset`` keeps it)."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from fakes.model.script import Reply, Rule, Script
from tests.conftest import CHAT, events, stable

HI = Script(rules=(Rule(reply=Reply(text="Hi there")),))
STREAM = {**CHAT, "stream": True}
FINGERPRINT = re.compile(r"vllm-0\.33\.0-[0-9a-f]{8}")
CHUNK = '{"id":"*","object":"chat.completion.chunk","created":"*","model":"fake-model",'


async def _post(vllm: Any, version: str, path: str, body: dict[str, Any], **config: Any) -> Any:
    async with vllm(version, script=HI, **config) as client:
        return await client.post(path, json=body)


async def test_system_fingerprint_from_0_21(vllm: Any) -> None:
    old = (await _post(vllm, "0.20.0", "/v1/chat/completions", CHAT)).json()
    assert old["system_fingerprint"] is None
    body = (await _post(vllm, "0.33.0", "/v1/chat/completions", CHAT)).json()
    assert FINGERPRINT.fullmatch(body["system_fingerprint"])
    completion = {"model": "fake-model", "prompt": "hi"}
    done = (await _post(vllm, "0.33.0", "/v1/completions", completion)).json()
    assert done["system_fingerprint"] == body["system_fingerprint"]
    # streams: on the finish chunk, or on the usage chunk when one follows
    plain = [
        orjson.loads(e)
        for e in events((await _post(vllm, "0.33.0", "/v1/chat/completions", STREAM)).text)[:-1]
    ]
    assert [("system_fingerprint" in c) for c in plain] == [False, False, False, True]
    asked = {**STREAM, "stream_options": {"include_usage": True}}
    usage = [
        orjson.loads(e)
        for e in events((await _post(vllm, "0.33.0", "/v1/chat/completions", asked)).text)[:-1]
    ]
    assert [("system_fingerprint" in c) for c in usage] == [False, False, False, False, True]
    assert list(usage[-1]) == [
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
    ]


async def test_chunk_top_null_keys_and_finish_choice_null_keys_0_33(vllm: Any) -> None:
    response = await _post(vllm, "0.33.0", "/v1/chat/completions", STREAM)
    got = [stable(e) for e in events(response.text)]
    got[-2] = FINGERPRINT.sub("FP", got[-2])
    assert got == [
        # serving.py:598-620: the role chunk sets prompt_token_ids and prompt_text only
        CHUNK + '"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,'
        '"finish_reason":null}],"prompt_token_ids":null,"prompt_text":null}',
        # 784-791, 815-824: token_ids on the choice, kv_transfer_params on the chunk
        CHUNK + '"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,'
        '"finish_reason":null,"token_ids":null}],"kv_transfer_params":null}',
        CHUNK + '"choices":[{"index":0,"delta":{"content":" there"},"logprobs":null,'
        '"finish_reason":null,"token_ids":null}],"kv_transfer_params":null}',
        # 797-811, 826-834: weight_versions on the finish choice, the fingerprint stamped
        CHUNK + '"choices":[{"index":0,"delta":{"content":""},"logprobs":null,'
        '"finish_reason":"stop","stop_reason":null,"token_ids":null,"weight_versions":null}],'
        '"system_fingerprint":"FP","kv_transfer_params":null}',
        "[DONE]",
    ]


async def test_continuous_usage_null_keys_from_0_28(vllm: Any) -> None:
    body = {**STREAM, "stream_options": {"include_usage": True, "continuous_usage_stats": True}}
    for version, keys in (("0.27.0", []), ("0.28.0", ["completion_tokens_details"])):
        chunks = [
            orjson.loads(e)
            for e in events((await _post(vllm, version, "/v1/chat/completions", body)).text)[:-1]
        ]
        for chunk in chunks[:-1]:
            assert [k for k, v in chunk["usage"].items() if v is None] == keys
        assert None not in chunks[-1]["usage"].values()  # exclude_none on the usage chunk
    plain = (await _post(vllm, "0.28.0", "/v1/chat/completions", CHAT)).json()
    assert list(plain["usage"])[-1] == "completion_tokens_details"


async def test_completion_chunks_drop_usage_null_from_0_21(vllm: Any) -> None:
    body = {"model": "fake-model", "prompt": "hi", "stream": True}
    old = orjson.loads(events((await _post(vllm, "0.20.0", "/v1/completions", body)).text)[0])
    new = orjson.loads(events((await _post(vllm, "0.21.0", "/v1/completions", body)).text)[0])
    assert "usage" in old and old["usage"] is None
    assert list(new) == ["id", "object", "created", "model", "choices"]


INVALID = {"model": "fake-model", "messages": "x"}
SITE = "/usr/local/lib/python3.12/site-packages"
ENTRY = "'type': 'list_type', 'loc': %s, 'msg': 'Input should be a valid list', 'input': 'x'"


@pytest.mark.parametrize(
    ("version", "message", "param"),
    [
        (
            "0.22.0",
            "1 validation error:\n  {" + ENTRY % "('body', 'messages')" + "}\n\n"
            f'  File "{SITE}/vllm/entrypoints/utils.py", line 40, in create_chat_completion\n'
            "    POST /v1/chat/completions [{" + ENTRY % "('body', 'messages')" + "}]",
            None,
        ),
        (
            "0.24.0",
            "1 validation error:\n  {" + ENTRY % "('body', 'messages')" + "}\n\n"
            f'  File "{SITE}/vllm/entrypoints/serve/utils/api_utils.py", line 40, in '
            "create_chat_completion\n"
            "    POST /v1/chat/completions [{" + ENTRY % "('body', 'messages')" + "}]",
            "body.messages",
        ),
        (
            "0.26.0",
            "1 validation error:\n  {" + ENTRY % "('body', 'messages')" + "}",
            "body.messages",
        ),
        ("0.30.0", "1 validation error:\n  {" + ENTRY % "'body.messages'" + "}", "body.messages"),
    ],
)
async def test_validation_style_and_validation_param_loc(
    vllm: Any, version: str, message: str, param: str | None
) -> None:
    response = await _post(vllm, version, "/v1/chat/completions", INVALID)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": message,
        "type": "Bad Request",
        "param": param,
        "code": 400,
    }


async def test_counted_bounded_summarizes_inputs_and_caps_entries(vllm: Any) -> None:
    body = {"model": "fake-model", "messages": [1] * 12}
    error = (await _post(vllm, "0.30.0", "/v1/chat/completions", body)).json()["error"]
    lines = error["message"].split("\n")
    assert lines[0] == "12 validation errors:"
    assert len(lines) == 12 and lines[-1] == "  ...and 2 more errors"
    assert error["param"] == "body.messages.0"


@pytest.mark.parametrize(("version", "status"), [("0.26.0", 404), ("0.27.0", 401)])
async def test_auth_prefixes_guard_cohere_from_0_27(vllm: Any, version: str, status: int) -> None:
    async with vllm(version, api_keys=("secret",)) as client:
        assert (await client.get("/cohere/v2/models")).status_code == status


async def test_0_34_excludes_null_annotations_and_prompt_tokens_details(vllm: Any) -> None:
    # exclude_if=lambda value: value is None on ChatMessage.annotations and
    # UsageInfo.prompt_tokens_details (message_keys, usage_keys)
    for version, present in (("0.33.0", True), ("0.34.0", False)):
        body = (await _post(vllm, version, "/v1/chat/completions", CHAT)).json()
        assert ("annotations" in body["choices"][0]["message"]) is present
        assert ("prompt_tokens_details" in body["usage"]) is present


WEATHER_TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
NOT_FOUND = "Tool choice 'function' not found in 'tools' parameter. (parameter=tool_choice)"


@pytest.mark.parametrize(
    ("tools", "choice", "message"),
    [
        ([WEATHER_TOOL], {"type": "function", "function": {"name": "get_weather"}}, NOT_FOUND),
        ([WEATHER_TOOL], {"type": "function", "name": "get_time"}, NOT_FOUND),
        (None, {"type": "function", "name": "get_weather"}, NOT_FOUND),
        (
            None,
            "required",
            "Tool choice 'required' must be specified with 'tools' parameter. "
            "(parameter=tool_choice)",
        ),
    ],
)
async def test_responses_named_tool_choice_check_from_0_27(
    vllm: Any, tools: Any, choice: Any, message: str
) -> None:
    """responses_named_tool_choice_check: ResponsesRequest.check_tool_usage's plain 400s."""
    body = {"model": "fake-model", "input": "hi", "tool_choice": choice}
    if tools is not None:
        body["tools"] = tools
    refused = await _post(vllm, "0.27.0", "/v1/responses", body)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "message": message,
        "type": "BadRequestError",
        "param": "tool_choice",
        "code": 400,
    }
    # 0.26's VLLMValidationError is a ValueError: pydantic's value_error keeps it in ctx, and
    # the handler takes param from it (recorded 0.26.0)
    wrapped = await _post(vllm, "0.26.0", "/v1/responses", body)
    assert wrapped.status_code == 400
    error = wrapped.json()["error"]
    assert error["param"] == "tool_choice"
    assert error["type"] == "Bad Request"
    assert error["message"].startswith("1 validation error:\n  {'type': 'value_error', ")
    assert f"'msg': \"Value error, {message}\"" in error["message"]
    assert "'ctx': {'error': VLLMValidationError(\"" in error["message"]
    # 0.18 has no such validator: only openai's ToolChoice union refuses the chat form, which
    # has no top-level name (recorded 0.18.0: one error per member)
    older = await _post(vllm, "0.18.0", "/v1/responses", body)
    chat_form = isinstance(choice, dict) and "name" not in choice
    assert older.status_code == (400 if chat_form else 200)


async def test_responses_named_tool_choice_by_its_name_is_served(vllm: Any) -> None:
    body = {
        "model": "fake-model",
        "input": "hi",
        "tools": [WEATHER_TOOL],
        "tool_choice": {"type": "function", "name": "get_weather"},
    }
    assert (await _post(vllm, "0.34.0", "/v1/responses", body)).status_code == 200

"""Every knob is wired: one row per knob builds the fake twice, from a profile as it is and
with that one knob flipped (``with_knobs``, as the control plane does), sends the same request
in process to both, and checks what each answer shows. The row's ``expect`` is (as profiled,
flipped): the two must differ, so a knob that nothing reads fails its row. LiteLLM rows run
the fake proxy in front of a fake vLLM; the row names the upstream release and its faults."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from fakes.litellm import (
    Deployment,
    KeyLimits,
    LitellmConfig,
    UnsafeMasterKeyError,
    create_litellm_app,
    parse_config,
    resolve_litellm_profile,
)
from fakes.model.faults import Fault, FaultRule
from fakes.model.script import Reply, Rule, Script
from fakes.profiles import resolve_vllm_profile, with_knobs
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import VllmConfig, create_vllm_app
from tests.conftest import CHAT, WEATHER_TOOLS, chunks

Observe = Callable[[httpx.Response], Any]
AS_PROFILED = "the profile's own value of the knob"


@dataclass(frozen=True)
class Send:
    path: str = "/v1/chat/completions"
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    times: int = 1  # sent this often, the last answer observed (a cooldown needs a failure first)


@dataclass(frozen=True)
class Row:
    knob: str
    value: Any  # the override
    send: Send
    observe: Observe
    # what ``observe`` sees: (as profiled, with the override); AS_PROFILED: the knob's own value
    expect: tuple[Any, Any]
    version: str = "0.34.0"
    config: dict[str, Any] = field(default_factory=dict)  # VllmConfig fields


# What to look at in an answer
def status(response: httpx.Response) -> int:
    return response.status_code


def keys(response: httpx.Response) -> list[str]:
    return list(response.json())


def header(name: str) -> Observe:
    return lambda response: response.headers.get(name)


def at(*path: str | int) -> Observe:
    def observe(response: httpx.Response) -> Any:
        value: Any = response.json()
        for step in path:
            value = value[step]
        return value

    return observe


def starts(prefix: str, *path: str | int) -> Observe:
    return lambda response: str(at(*path)(response)).startswith(prefix)


def has(key: str, *path: str | int) -> Observe:
    return lambda response: key in at(*path)(response)


def frames(select: Callable[[list[dict[str, Any]]], Any]) -> Observe:
    return lambda response: select(chunks(response.text))


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON data of an SSE body whose frames may carry ``event:`` lines."""
    return [
        orjson.loads(line[len("data: ") :])
        for block in response.text.split("\n\n")
        for line in block.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


def finish(sent: list[dict[str, Any]]) -> dict[str, Any]:
    """The choice that carries the finish_reason."""
    return next(
        c["choices"][0] for c in sent if c["choices"] and c["choices"][0].get("finish_reason")
    )


def finish_delta(sent: list[dict[str, Any]]) -> dict[str, Any]:
    delta: dict[str, Any] = finish(sent)["delta"]
    return delta


def tool_deltas(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        call
        for c in sent
        for choice in c["choices"]
        for call in choice.get("delta", {}).get("tool_calls") or []
    ]


def sse_typed(response: httpx.Response, kind: str) -> dict[str, Any]:
    return next(e for e in sse_events(response) if e.get("type") == kind)


def item_added(response: httpx.Response) -> dict[str, Any]:
    item: dict[str, Any] = sse_typed(response, "response.output_item.added")["item"]
    return item


def item_done(response: httpx.Response) -> dict[str, Any]:
    item: dict[str, Any] = sse_typed(response, "response.output_item.done")["item"]
    return item


def completed(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = sse_typed(response, "response.completed")["response"]
    return body


def completed_text(response: httpx.Response) -> str:
    output = completed(response)["output"]
    return "".join(part.get("text", "") for item in output for part in item.get("content", []))


def streamed_text(response: httpx.Response) -> str:
    deltas = [e["delta"] for e in sse_events(response) if e["type"] == "response.output_text.delta"]
    return "".join(deltas)


# Requests
STREAM = {**CHAT, "stream": True}
USAGE = {**STREAM, "stream_options": {"include_usage": True}}
COMPLETION = {"model": "fake-model", "prompt": "hi", "max_tokens": 4}
RESPONSE = {"model": "fake-model", "input": "hi"}
NAMED = {"type": "function", "function": {"name": "get_weather"}}
TOOLS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}
ANTHROPIC = {
    "model": "fake-model",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
MESSAGES = {
    "model": "fake-model",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
ANTHROPIC_WEATHER = {"name": "get_weather", "input_schema": {"type": "object"}}
HELLO_WORLD = Script(rules=(Rule(reply=Reply(text="Hello world")),))
WEATHER_CALL = Script.model_validate(
    {
        "rules": [
            {"reply": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}}
        ]
    }
)
THINK = Script(rules=(Rule(reply=Reply(reasoning="Let me think", text="Hi")),))
CONTINUOUS = {**STREAM, "stream_options": {"include_usage": True, "continuous_usage_stats": True}}
RESPONSE_STREAM = {**RESPONSE, "stream": True}
SHORT_RESPONSE = {**RESPONSE, "max_output_tokens": 2}
RESPONSES_TOOLS = [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]
REASONING = {"reasoning_parser": "deepseek_r1", "script": THINK}
CALL = Script(
    rules=(Rule(reply=Reply.model_validate({"tool_calls": [{"name": "get_weather",
                                                             "arguments": {"city": "Paris"}}]})),)
)  # fmt: skip


VLLM_ROWS = [
    # Identifiers
    Row(
        "completion_id_prefix",
        "cmpl-x-",
        Send("/v1/completions", COMPLETION),
        starts("cmpl-x-", "id"),
        (False, True),
    ),
    Row(
        "response_id_prefix",
        "resp-x-",
        Send("/v1/responses", RESPONSE),
        starts("resp-x-", "id"),
        (False, True),
    ),
    Row(
        "tool_call_id_prefix",
        "call-x-",
        Send(json={**CHAT, "tools": WEATHER_TOOLS, "tool_choice": NAMED}),
        starts("call-x-", "choices", 0, "message", "tool_calls", 0, "id"),
        (False, True),
        config=TOOLS,
    ),
    Row(
        "echo_requested_model",
        False,
        Send(json={**CHAT, "model": "second"}),
        at("model"),
        ("second", "fake-model"),
        config={"served_model_names": ("fake-model", "second")},
    ),
    Row(
        "request_id_header",
        False,
        Send(json=CHAT, headers={"X-Request-Id": "abc123"}),
        lambda r: r.json()["id"].endswith("abc123"),
        (True, False),
    ),
    Row(
        "x_request_id_response",
        True,
        Send(json=CHAT, headers={"X-Request-Id": "abc123"}),
        header("x-request-id"),
        (None, "abc123"),
    ),
    # Requests
    Row("model_required", True, Send(json={"messages": CHAT["messages"]}), status, (200, 400)),
    Row(
        "unknown_fields",
        "ignore",
        Send(json={**CHAT, "no_such_field": 1}),
        status,
        (400, 200),
        version="0.4",
    ),
    Row(
        "json_content_type_required",
        False,
        Send(content=orjson.dumps(CHAT), headers={"content-type": "text/plain"}),
        status,
        (400, 200),
    ),
    # Non-streaming bodies
    Row(
        "chat_response_keys",
        ("id", "choices"),
        Send(json=CHAT),
        keys,
        (AS_PROFILED, ["id", "choices"]),
    ),
    Row(
        "chat_choice_keys",
        ("index", "message"),
        Send(json=CHAT),
        lambda r: list(r.json()["choices"][0]),
        (AS_PROFILED, ["index", "message"]),
    ),
    Row(
        "completion_response_keys",
        ("id", "choices"),
        Send("/v1/completions", COMPLETION),
        keys,
        (AS_PROFILED, ["id", "choices"]),
    ),
    Row(
        "completion_choice_keys",
        ("index", "text"),
        Send("/v1/completions", COMPLETION),
        lambda r: list(r.json()["choices"][0]),
        (AS_PROFILED, ["index", "text"]),
    ),
    Row(
        "empty_tool_calls",
        True,
        Send(json=CHAT),
        lambda r: r.json()["choices"][0]["message"].get("tool_calls"),
        (None, []),
    ),
    Row(
        "model_card_keys",
        ("id", "object"),
        Send("/v1/models"),
        lambda r: list(r.json()["data"][0]),
        (AS_PROFILED, ["id", "object"]),
    ),
    Row(
        "tokenize_token_strs",
        False,
        Send("/tokenize", {"model": "fake-model", "prompt": "hi"}),
        has("token_strs"),
        (True, False),
    ),
    # Streaming chat: usage
    Row(
        "stream_usage",
        "always_in_finish_chunk",
        Send(json=STREAM),
        frames(lambda cs: any(c.get("usage") for c in cs)),
        (False, True),
    ),
    Row(
        "stream_options_default_usage",
        True,
        Send(json={**STREAM, "stream_options": {}}),
        frames(lambda cs: any(c.get("usage") for c in cs)),
        (False, True),
    ),
    Row(
        "null_usage_on_chunks",
        True,
        Send(json=USAGE),
        frames(lambda cs: "usage" in cs[0]),
        (False, True),
    ),
    Row(
        "continuous_usage",
        "unsupported",
        Send(json=CONTINUOUS),
        frames(lambda cs: cs[1].get("usage") is not None),
        (True, False),
    ),
    Row(
        "continuous_usage_default",
        True,
        Send(json=USAGE),
        frames(lambda cs: cs[1].get("usage") is not None),
        (False, True),
    ),
    Row(
        "continuous_usage_null_keys",
        ("zz",),
        Send(json=CONTINUOUS),
        frames(lambda cs: "zz" in cs[1]["usage"]),
        (False, True),
    ),
    Row(
        "stream_options_stream_error",
        "no stream, no options",
        Send(json={**CHAT, "stream_options": {"include_usage": True}}),
        lambda r: "no stream, no options" in r.json()["error"]["message"],
        (False, True),
    ),
    # Streaming chat: chunk shapes
    Row(
        "finish_chunk_drops_nulls",
        True,
        Send(json=STREAM),
        frames(lambda cs: "logprobs" in finish(cs)),
        (True, False),
    ),
    Row(
        "chunk_exclude_none",
        True,
        Send(json=STREAM),
        frames(
            lambda cs: (
                "finish_reason" in cs[1]["choices"][0],
                "stop_reason" in finish(cs),
                cs[1]["choices"][0]["delta"].get("tool_calls"),
            )
        ),
        ((True, True, None), (False, False, [])),
    ),
    Row(
        "chunk_null_keys",
        ("zz",),
        Send(json=STREAM),
        frames(lambda cs: "zz" in cs[1]["choices"][0]),
        (False, True),
    ),
    Row(
        "role_chunk_null_keys",
        ("zz",),
        Send(json=STREAM),
        frames(lambda cs: "zz" in cs[0]),
        (False, True),
    ),
    Row(
        "delta_null_keys",
        ("reasoning_content",),
        Send(json=STREAM),
        frames(lambda cs: "reasoning_content" in cs[1]["choices"][0]["delta"]),
        (False, True),
    ),
    Row(
        "chunk_top_null_keys",
        ("zz",),
        Send(json=STREAM),
        frames(lambda cs: "zz" in cs[1]),
        (False, True),
    ),
    Row(
        "finish_choice_null_keys",
        ("zz",),
        Send(json=STREAM),
        frames(lambda cs: "zz" in finish(cs)),
        (False, True),
    ),
    # Streaming completions
    Row(
        "completion_chunk_keys",
        ("id", "object", "created", "model", "choices", "usage"),
        Send("/v1/completions", {**COMPLETION, "stream": True}),
        frames(lambda cs: "usage" in cs[0]),
        (False, True),
    ),
    Row(
        "completion_chunk_null_keys",
        ("zz",),
        Send("/v1/completions", {**COMPLETION, "stream": True}),
        frames(lambda cs: "zz" in cs[0]["choices"][0]),
        (False, True),
    ),
    # Tools
    Row(
        "tool_finish_on_fragment",
        True,
        Send(json={**STREAM, "tools": WEATHER_TOOLS}),
        frames(lambda cs: "tool_calls" in finish_delta(cs)),
        (False, True),
        config={**TOOLS, "script": CALL},
    ),
    Row(  # 0.22: guided arguments (from 0.24 the parser reads a named choice back)
        "named_tool_stream",
        "name_every_delta",
        Send(json={**STREAM, "tools": WEATHER_TOOLS, "tool_choice": NAMED}),
        frames(lambda cs: sum("name" in call["function"] for call in tool_deltas(cs)) > 1),
        (False, True),
        version="0.22.0",
        config={**TOOLS, "script": CALL},
    ),
    Row(  # guided, the first argument fragment rides on the header delta
        "named_tool_choice_parsed",
        False,
        Send(json={**STREAM, "tools": WEATHER_TOOLS, "tool_choice": NAMED}),
        frames(lambda cs: "arguments" in tool_deltas(cs)[0]["function"]),
        (False, True),
        config={**TOOLS, "script": CALL},
    ),
    Row(
        "tool_parser_delta_content_null",
        False,
        Send(json={**STREAM, "tools": WEATHER_TOOLS, "tool_choice": "auto"}),
        frames(lambda cs: [c["choices"][0]["delta"].get("content", "unset") for c in cs[1:3]]),
        ([None, None], ["unset", "unset"]),
        config={**TOOLS, "script": CALL},
    ),
    Row(  # a 10-character stop string: 9 characters wait, so the first token's chunk is empty
        "stop_hold_back",
        False,
        Send(json={**STREAM, "stop": ["zzzzzzzzzz"]}),
        frames(lambda cs: cs[1]["choices"][0]["delta"]["content"] == ""),
        (True, False),
    ),
    Row(
        "tools_default_auto",
        False,
        Send(json={**CHAT, "tools": WEATHER_TOOLS}),
        status,
        (400, 200),
    ),
    Row(
        "auto_tools_need_flags",
        False,
        Send(json={**CHAT, "tools": WEATHER_TOOLS, "tool_choice": "auto"}),
        status,
        (400, 200),
    ),
    Row(
        "empty_tools",
        "rejected",
        Send(json={**CHAT, "tools": [], "tool_choice": "auto"}),
        status,
        (200, 400),
    ),
    Row(
        "parserless_tool_choice",
        "allowed",
        Send(json={**CHAT, "tools": WEATHER_TOOLS, "tool_choice": "required"}),
        status,
        (400, 200),
    ),
    Row(  # 0.6.4 checks each message against its union: a key no member has is a 400
        "chat_message_union",
        "none",
        Send(json={**CHAT, "messages": [{"role": "user", "content": "hi", "extra": 1}]}),
        status,
        (400, 200),
        version="0.6.4",
    ),
    Row(  # 0.6.2's wheel reports the checkout setuptools_scm named; without it, the release
        "wheel_versions",
        {},
        Send("/version"),
        at("version"),
        ("0.6.1.dev238+ge2c6e0a82", "0.6.2"),
        version="0.6.2",
    ),
    # Errors
    Row(
        "parameter_errors",
        False,
        Send(json={**CHAT, "max_tokens": 0}),
        at("error", "param"),
        ("max_tokens", None),
    ),
    Row(
        "validation_style",
        "fastapi_repr",
        Send(json={**CHAT, "messages": 1}),
        lambda r: "\n    POST /v1/chat/completions" in r.json()["error"]["message"],
        (False, True),
    ),
    Row(  # FastAPI 0.123 has no __str__: the message is the error list alone
        "fastapi",
        "0.123.10",
        Send(json={**CHAT, "messages": 1}),
        lambda r: r.json()["error"]["message"].startswith("[{"),
        (False, True),
        version="0.11.1",
    ),
    Row(  # no endpoints: FastAPI names the route by its path only
        "fastapi_endpoints",
        (),
        Send(json={**CHAT, "messages": 1}),
        lambda r: "\n  File " in r.json()["error"]["message"],
        (True, False),
        version="0.11.1",
    ),
    Row(
        "validation_appends_errors",
        False,
        Send(json={**CHAT, "messages": 1}),
        lambda r: r.json()["error"]["message"].endswith("POST /v1/chat/completions"),
        (False, True),
        version="0.11.1",
    ),
    Row(
        "validation_param_loc",
        False,
        Send(json={**CHAT, "messages": 1}),
        lambda r: r.json()["error"]["param"] is None,
        (False, True),
    ),
    Row(
        "not_found_lists_models",
        False,
        Send(json={**CHAT, "model": "nope"}),
        lambda r: "fake-model" in r.json()["error"]["message"],
        (True, False),
    ),
    # Reasoning
    Row(
        "reasoning_end_content_chunk",
        False,
        Send(json=STREAM),
        frames(lambda cs: [c["choices"][0]["delta"] for c in cs[1:-1]].count({"content": ""})),
        (1, 0),
        version="0.22.0",
        config=REASONING,
    ),
    Row(
        "reasoning_tokens_details",
        False,
        Send(json=CHAT),
        lambda r: r.json()["usage"].get("completion_tokens_details") is not None,
        (True, False),
        config=REASONING,
    ),
    # /v1/responses
    Row("responses", "absent", Send("/v1/responses", RESPONSE), status, (200, 404)),
    Row(
        "responses_keys",
        ("id", "object"),
        Send("/v1/responses", RESPONSE),
        keys,
        (AS_PROFILED, ["id", "object"]),
    ),
    Row(
        "responses_usage_input_keys",
        ("cached_tokens",),
        Send("/v1/responses", RESPONSE),
        lambda r: list(r.json()["usage"]["input_tokens_details"]),
        (AS_PROFILED, ["cached_tokens"]),
    ),
    Row(
        "responses_usage_output_keys",
        ("reasoning_tokens",),
        Send("/v1/responses", RESPONSE),
        lambda r: list(r.json()["usage"]["output_tokens_details"]),
        (AS_PROFILED, ["reasoning_tokens"]),
    ),
    Row(
        "responses_tool_keys",
        ("name", "type"),
        Send("/v1/responses", {**RESPONSE, "tools": RESPONSES_TOOLS}),
        lambda r: list(r.json()["tools"][0]),
        (AS_PROFILED, ["name", "type"]),
    ),
    Row(
        "responses_tools_need_harmony",
        False,
        Send("/v1/responses", {**RESPONSE, "tools": RESPONSES_TOOLS}),
        status,
        (400, 200),
        version="0.10.2",
    ),
    Row(
        "responses_top_logprobs_null",
        False,
        Send("/v1/responses", RESPONSE),
        at("top_logprobs"),
        (None, 0),
    ),
    Row(
        "responses_length_incomplete",
        False,
        Send("/v1/responses", SHORT_RESPONSE),
        at("status"),
        ("incomplete", "completed"),
    ),
    Row(  # 0.26: pydantic's value_error; flipped: 0.27's plain 400
        "responses_tool_usage_value_error",
        False,
        Send("/v1/responses", {**RESPONSE, "tool_choice": "required"}),
        at("error", "type"),
        ("Bad Request", "BadRequestError"),
        version="0.26.0",
    ),
    Row(
        "responses_tool_choice_none_without_tools",
        False,
        Send("/v1/responses", RESPONSE),
        at("tool_choice"),
        ("none", "auto"),
    ),
    Row(
        "responses_reasoning_tokens",
        False,
        Send("/v1/responses", RESPONSE),
        lambda r: r.json()["usage"]["output_tokens_details"]["reasoning_tokens"] > 0,
        (True, False),
        config=REASONING,
    ),
    Row(
        "responses_stream",
        "every_delta",
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: max(e.get("content_index", 0) for e in sse_events(r)) > 0,
        (False, True),
    ),
    Row(
        "responses_item_id",
        "uuid",
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: "-" in item_added(r)["id"],
        (False, True),
    ),
    Row(
        "responses_done_item_summary",
        True,
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: "summary" in item_done(r),
        (False, True),
    ),
    Row(
        "responses_done_item_status",
        False,
        Send("/v1/responses", {**SHORT_RESPONSE, "stream": True}),
        lambda r: item_done(r)["status"],
        ("incomplete", "completed"),
    ),
    Row(
        "responses_completed_reuses_items",
        False,
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: completed(r)["output"][0]["id"] == item_added(r)["id"],
        (True, False),
    ),
    Row(
        "responses_completed_last_step",
        False,
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: completed_text(r) == streamed_text(r),
        (False, True),
        version="0.12.0",
    ),
    Row("messages", False, Send("/v1/messages", MESSAGES), status, (200, 404)),
    Row(
        "messages_count_tokens",
        False,
        Send("/v1/messages/count_tokens", MESSAGES),
        status,
        (200, 404),
    ),
    Row(
        "messages_stream_done",
        True,
        Send("/v1/messages", {**MESSAGES, "stream": True}),
        lambda r: r.text.endswith("data: [DONE]\n\n"),
        (False, True),
    ),
    Row(
        "messages_start",
        "bare",
        Send("/v1/messages", {**MESSAGES, "stream": True}),
        lambda r: sorted(sse_typed(r, "message_start")["message"]),
        (
            ["content", "id", "model", "role", "stop_reason", "stop_sequence", "type", "usage"],
            ["content", "id", "model"],
        ),
    ),
    Row(
        "messages_anthropic_error_types",
        False,
        Send("/v1/messages", {**MESSAGES, "model": "nope"}),
        at("error", "type"),
        ("not_found_error", "NotFoundError"),
    ),
    Row(
        "messages_text_block",
        "leading",
        Send("/v1/messages", {**MESSAGES, "tools": [ANTHROPIC_WEATHER]}),
        lambda r: [block["type"] for block in r.json()["content"]],
        (["tool_use"], ["text", "tool_use"]),
        config={**TOOLS, "script": WEATHER_CALL},
    ),
    Row(
        "messages_stop_sequence",
        False,
        Send("/v1/messages", {**MESSAGES, "stop_sequences": [" wor"]}),
        at("stop_reason"),
        ("stop_sequence", "end_turn"),
        config={"script": HELLO_WORLD},
    ),
    Row(
        "messages_delta_null_stop_sequence",
        False,
        Send("/v1/messages", {**MESSAGES, "stream": True}),
        lambda r: sse_typed(r, "message_delta")["delta"],
        ({"stop_reason": "end_turn", "stop_sequence": None}, {"stop_reason": "end_turn"}),
        config={"script": HELLO_WORLD},
    ),
    Row(
        "messages_finish_chunk_dropped",
        True,
        Send("/v1/messages", {**MESSAGES, "stream": True, "max_tokens": 1}),
        lambda r: [e["delta"].get("text") for e in sse_events(r) if e["type"].endswith("delta")],
        (["Hello", None], [None]),
        config={"script": HELLO_WORLD},
    ),
    Row(
        "responses_reasoning_part_events",
        "reasoning_part",
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: "response.reasoning_part.added" in [e["type"] for e in sse_events(r)],
        (False, True),
        config=REASONING,
    ),
]


async def _answer(row: Row, knobs: dict[str, Any]) -> httpx.Response:
    profile, release = resolve_vllm_profile(row.version, None)
    config = VllmConfig(profile=with_knobs(profile, knobs), version=release, **row.config)
    transport = httpx.ASGITransport(app=create_vllm_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        send = row.send
        if send.json is None and send.content is None:
            return await client.get(send.path, headers=send.headers)
        return await client.post(
            send.path, json=send.json, content=send.content, headers=send.headers
        )


@pytest.mark.parametrize("row", VLLM_ROWS, ids=lambda row: row.knob)
async def test_a_flipped_vllm_knob_changes_the_answer(row: Row) -> None:
    profile, _ = resolve_vllm_profile(row.version, None)
    flipped_knobs = with_knobs(profile, {row.knob: row.value}).knobs
    assert getattr(profile.knobs, row.knob) != getattr(flipped_knobs, row.knob)
    assert row.expect[0] != row.expect[1]
    as_profiled = row.observe(await _answer(row, {}))
    flipped = row.observe(await _answer(row, {row.knob: row.value}))
    if row.expect[0] == AS_PROFILED:  # the profile's own key list, whatever it is, vs the override
        assert as_profiled == list(getattr(profile.knobs, row.knob))
        assert (as_profiled != flipped, flipped) == (True, row.expect[1])
    else:
        assert (as_profiled, flipped) == row.expect


# The fake LiteLLM proxy in front of a fake vLLM that serves the deployment under its own name
KEY = "sk-llmfakes-Str0ng-Master-Key-123"
UPSTREAM = {"served_model_names": ("upstream-model",), **TOOLS}
MOCK = {"provider": "openai", "upstream_model": "gpt-4o", "mock_response": "Hi", "api_base": None}


def fault(kind: str, **fields: Any) -> dict[str, Any]:
    """Upstream config: every request fails this way."""
    return {"faults": (FaultRule(fault=Fault.model_validate({"kind": kind, **fields})),)}


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


# an upstream 404 cools the one deployment down: the second call is the router's 429
NOT_FOUND = fault("http_error", status=404)
CUT = fault("cut", after_chunks=3)
COOLDOWN = Send(json=CHAT, times=2)


def tool_chunks(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in sent if c["choices"] and "tool_calls" in c["choices"][0]["delta"]]


def last_content(sent: list[dict[str, Any]]) -> dict[str, Any]:
    return [c for c in sent if c["choices"] and c["choices"][0]["delta"].get("content")][-1]


@dataclass(frozen=True)
class ProxyRow:
    knob: str
    value: Any
    send: Send
    observe: Observe
    expect: tuple[Any, Any]
    version: str = "1.110.2"
    upstream: str = "0.12.0"  # the fake vLLM release behind it
    upstream_config: dict[str, Any] = field(default_factory=dict)  # VllmConfig fields
    upstream_knobs: dict[str, Any] = field(default_factory=dict)  # the upstream's, overridden
    deployment: dict[str, Any] = field(default_factory=dict)  # Deployment fields
    keys: dict[str, KeyLimits] = field(default_factory=dict)  # the config's virtual keys


# a virtual key allowed one request a minute: the second is the key's 429
LIMITED = "sk-limited-key"
LIMITED_TWICE = Send(json=CHAT, headers={"Authorization": f"Bearer {LIMITED}"}, times=2)
ONE_A_MINUTE = {LIMITED: KeyLimits(rpm_limit=1)}

LITELLM_ROWS = [
    # Per-key limits
    ProxyRow(
        "key_limiter",
        "per_minute",
        LIMITED_TWICE,
        lambda response: (response.status_code, error(response)["type"]),
        ((429, "throttling_error"), (429, "None")),
        keys=ONE_A_MINUTE,
    ),
    ProxyRow(
        "key_limit_headers",
        ("x-litellm-call-id",),
        LIMITED_TWICE,
        header("x-litellm-key-rpm-limit"),
        ("1", None),
        keys=ONE_A_MINUTE,
    ),
    # Response headers
    ProxyRow(
        "vary_origin",
        True,
        Send(json=CHAT),
        header("vary"),
        (None, "Origin"),
        version="1.74.15",
    ),
    ProxyRow(
        "chat_headers",
        ("x-litellm-call-id",),
        Send(json=CHAT),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
    ProxyRow(
        "stream_headers",
        ("x-litellm-call-id",),
        Send(json=STREAM),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
    ProxyRow(
        "completion_headers",
        ("x-litellm-call-id",),
        Send("/v1/completions", COMPLETION),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
    ProxyRow(
        "completion_stream_headers",
        ("x-litellm-call-id",),
        Send("/v1/completions", {**COMPLETION, "stream": True}),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
    ProxyRow(
        "mock_headers",
        ("x-litellm-call-id",),
        Send(json=CHAT),
        header("x-litellm-model-group"),
        ("fake-model", None),
        deployment=MOCK,
    ),
    ProxyRow(
        "mock_stream_headers",
        ("x-litellm-call-id",),
        Send(json=STREAM),
        header("x-litellm-model-group"),
        ("fake-model", None),
        deployment=MOCK,
    ),
    ProxyRow(
        "upstream_error_headers",
        ("x-litellm-call-id",),
        Send(json=CHAT),
        header("x-litellm-timeout"),
        ("6000.0", None),
        upstream_config=fault("http_error", status=400),
    ),
    ProxyRow(
        "stream_cache_headers",
        False,
        Send(json=STREAM),
        header("x-accel-buffering"),
        ("no", None),
    ),
    ProxyRow(
        "spend_tracked",
        False,
        Send(json=CHAT),
        lambda r: float(r.headers["x-litellm-key-spend"]) > 0,
        (True, False),
        deployment=MOCK,
    ),
    ProxyRow(
        "answer_cost_float",
        False,
        Send(json=CHAT),
        header("x-litellm-response-cost"),
        ("0.0", "0"),
        version="1.109.3",
    ),
    # Errors
    ProxyRow(
        "typed_errors",
        False,
        COOLDOWN,
        lambda r: error(r)["type"],
        ("all_deployments_in_cooldown", "None"),
        upstream_config=NOT_FOUND,
    ),
    ProxyRow(
        "cooldown_retry_after",
        False,
        COOLDOWN,
        header("retry-after"),
        ("5", None),
        upstream_config=NOT_FOUND,
    ),
    ProxyRow(
        "cooldown_list_detail",
        True,
        COOLDOWN,
        lambda r: "exception_received" in error(r)["message"],
        (False, True),
        upstream_config=NOT_FOUND,
    ),
    ProxyRow(
        "router_error_headers",
        ("x-litellm-call-id",),
        COOLDOWN,
        header("x-litellm-key-spend"),
        ("0.0", None),
        upstream_config=NOT_FOUND,
    ),
    ProxyRow(
        "unknown_model_dict_repr",
        True,
        Send(json={**CHAT, "model": "nope"}),
        lambda r: error(r)["message"].startswith("{'error'"),
        (False, True),
    ),
    ProxyRow(
        "unknown_model_provider_fields",
        False,
        Send(json={**CHAT, "model": "nope"}),
        lambda r: "provider_specific_fields" in error(r),
        (True, False),
    ),
    ProxyRow(
        "missing_messages",
        "router_500",
        Send(json={"model": "fake-model"}),
        status,
        (400, 500),
    ),
    ProxyRow(
        "upstream_error_format",
        "received_model_group",
        Send(json=CHAT),
        lambda r: "Received Model Group=fake-model" in error(r)["message"],
        (False, True),
        upstream_config=fault("http_error", status=400),
    ),
    ProxyRow(
        "responses_error_version",
        False,
        Send("/v1/responses", {**RESPONSE, "model": "nope"}),
        header("x-litellm-version"),
        ("1.110.2", None),
    ),
    # Non-streaming bodies
    ProxyRow(
        "keep_null_fields",
        True,
        Send(json=CHAT),
        has("tool_calls", "choices", 0, "message"),
        (False, True),
    ),
    ProxyRow(
        "choice_passthrough",
        (),
        Send(json=CHAT),
        has("stop_reason", "choices", 0),
        (True, False),
    ),
    ProxyRow(
        "choice_provider_fields",
        False,
        Send(json=CHAT),
        has("provider_specific_fields", "choices", 0),
        (True, False),
    ),
    ProxyRow(
        "choice_vllm_fields",
        True,
        Send(json=CHAT),
        has("token_ids", "choices", 0),
        (False, True),
        version="1.109.3",
        upstream="0.34.0",
    ),
    ProxyRow(
        "message_reasoning_extras",
        False,
        Send(json=CHAT),
        has("provider_specific_fields", "choices", 0, "message"),
        (True, False),
        upstream_config=REASONING,
    ),
    ProxyRow(  # the upstream's stop string: its only non-null choice key
        "choice_nonnull_provider_fields",
        False,
        Send(json={**CHAT, "stop": ["sit"]}),
        lambda r: r.json()["choices"][0].get("provider_specific_fields"),
        ({"stop_reason": "sit"}, None),
        version="1.80.17",
    ),
    ProxyRow(
        "message_nonnull_provider_fields",
        False,
        Send(json=CHAT),
        lambda r: r.json()["choices"][0]["message"].get("provider_specific_fields"),
        ({"reasoning": "Let me think", "reasoning_content": "Let me think"}, None),
        version="1.80.17",
        upstream_config=REASONING,
    ),
    ProxyRow(
        "message_null_content_last",
        True,
        Send(json={**CHAT, "tools": WEATHER_TOOLS, "tool_choice": "auto"}),
        lambda r: list(r.json()["choices"][0]["message"]),
        (["content", "role", "tool_calls"], ["role", "tool_calls", "content"]),
        version="1.80.17",
        upstream_config={**TOOLS, "script": CALL},
    ),
    ProxyRow(
        "completion_stream_upstream_id",
        False,
        Send("/v1/completions", {**COMPLETION, "stream": True}),
        frames(lambda cs: cs[0]["id"].startswith("cmpl-")),
        (True, False),
        version="1.80.17",
    ),
    ProxyRow(
        "completions_alias",
        False,
        Send("/v1/completions", COMPLETION),
        at("model"),
        ("fake-model", "upstream-model"),
    ),
    ProxyRow(
        "completion_chunk_stop_reason",
        False,
        Send("/v1/completions", {**COMPLETION, "stream": True}),
        frames(lambda cs: "stop_reason" in cs[-1]["choices"][0]),
        (True, False),
    ),
    # Streaming
    ProxyRow(
        "chunk_fast_serializer",
        True,
        Send(json=STREAM),
        frames(lambda cs: list(cs[0])),
        (
            ["id", "created", "model", "object", "choices"],
            ["id", "object", "created", "model", "choices"],
        ),
    ),
    ProxyRow(
        "empty_role_chunk",
        False,
        Send(json=STREAM),
        frames(lambda cs: cs[0]["choices"][0]["delta"].get("content")),
        ("", "Lorem"),
    ),
    ProxyRow(
        "chunk_stop_reason",
        False,
        Send(json=STREAM),
        frames(lambda cs: "stop_reason" in finish(cs)),
        (True, False),
    ),
    ProxyRow(
        "chunk_model",
        "provider",
        Send(json=STREAM),
        frames(lambda cs: cs[1]["model"]),
        ("fake-model", "hosted_vllm/upstream-model"),
    ),
    ProxyRow(
        "finish_chunk_model",
        "provider",
        Send(json=USAGE),
        frames(lambda cs: cs[-1]["model"]),
        ("fake-model", "hosted_vllm/upstream-model"),
    ),
    ProxyRow(
        "usage_text_tokens",
        False,
        Send(json=USAGE),
        frames(lambda cs: "text_tokens" in cs[-1]["usage"]["completion_tokens_details"]),
        (True, False),
    ),
    ProxyRow(
        "stream_tool_calls_finish",
        False,
        Send(json={**STREAM, "tools": WEATHER_TOOLS, "tool_choice": NAMED}),
        frames(lambda cs: finish(cs)["finish_reason"]),
        ("tool_calls", "stop"),
        upstream_config={"script": CALL},
    ),
    ProxyRow(
        "usage_pre_finish_delta",
        True,
        Send(json=USAGE),
        frames(lambda cs: any(c["choices"] == [{"index": 0, "delta": {}}] for c in cs)),
        (False, True),
    ),
    ProxyRow(
        "stream_reasoning_key",
        None,
        Send(json=STREAM),
        frames(lambda cs: any("reasoning_content" in c["choices"][0]["delta"] for c in cs[:-1])),
        (True, False),
        upstream="0.34.0",
        upstream_config=REASONING,
    ),
    ProxyRow(
        "mid_stream_error",
        "fallback_503_no_done",
        Send(json=STREAM),
        lambda r: r.text.endswith("data: [DONE]\n\n"),
        (True, False),
        upstream_config=fault("error_frame", after_chunks=2),
    ),
    ProxyRow(
        "upstream_cut",
        "invented_stop",
        Send(json=STREAM),
        lambda r: '"error"' in r.text,
        (True, False),
        upstream_config=fault("cut", after_chunks=2),
    ),
    # What goes upstream: a 0.20 vLLM rejects "tools": []
    ProxyRow(
        "drop_empty_tools",
        False,
        Send(json={**CHAT, "tools": []}),
        status,
        (200, 400),
        upstream="0.20.0",
    ),
    ProxyRow(
        "tool_split_role",
        True,
        Send(json={**STREAM, "tools": WEATHER_TOOLS}),
        frames(lambda cs: "role" in tool_chunks(cs)[-1]["choices"][0]["delta"]),
        (False, True),
        upstream="0.9.2",
        upstream_config={"script": CALL},
        # an upstream whose last argument fragment rides the finish chunk: no recorded release
        # does (their own apps end tool streams on a chunk of its own), so it is set here, with
        # the rewritten hermes parser (the pre-0.20 one sends nothing on the closing tag)
        upstream_knobs={"tool_finish_on_fragment": True, "hermes_stream": "rewritten"},
    ),
    ProxyRow(  # the length finish rides on the last token's chunk upstream
        "hold_split_finish",
        False,
        Send(json={**USAGE, "max_tokens": 3}),
        frames(lambda cs: "finish_reason" in cs[cs.index(last_content(cs)) + 1]["choices"][0]),
        (False, True),
        version="1.74.15",
    ),
    # The usage estimate, when a cut upstream reported none (1.74 ends the stream naturally)
    ProxyRow(
        "estimate_special_tokens_fail",
        False,
        Send(json={**USAGE, "messages": [{"role": "user", "content": "<|endoftext|> hi"}]}),
        frames(lambda cs: cs[-1]["usage"]["prompt_tokens"] > 0),
        (False, True),
        version="1.74.15",
        upstream_config=CUT,
    ),
    ProxyRow(  # 1024-character pieces cut "hello" apart 3 times: each cut costs tokens
        "estimate_chunk_chars",
        1024,
        Send(json={**USAGE, "messages": [{"role": "user", "content": "hello world " * 300}]}),
        frames(lambda cs: cs[-1]["usage"]["prompt_tokens"]),
        (608, 612),
        version="1.74.15",
        upstream_config=CUT,
    ),
    # What goes upstream
    ProxyRow(
        "upstream_body_rebuilt",
        True,
        Send(json=CHAT),
        lambda r: "stream" in r.extensions["upstream_bodies"][-1],
        (True, False),
    ),
    # Routes
    ProxyRow(
        "models_max_tokens",
        False,
        Send("/v1/models"),
        has("max_input_tokens", "data", 0),
        (True, False),
    ),
    ProxyRow(
        "readiness_detail",
        True,
        Send("/health/readiness"),
        has("litellm_version"),
        (False, True),
    ),
    ProxyRow(
        "readiness_callbacks",
        ("ServiceLogging",),
        Send("/health/readiness"),
        lambda r: r.json()["success_callbacks"][0],
        ("sync_deployment_callback_on_success", "ServiceLogging"),
        version="1.74.15",
    ),
    # /v1/responses bridged to chat (1.74's bridge, each 1.80 quirk flipped on)
    ProxyRow(
        "bridge_mapped_status",
        True,
        Send("/v1/responses", SHORT_RESPONSE),
        lambda r: (r.json()["status"], r.json()["output"][0]["status"]),
        (("completed", "length"), ("incomplete", "incomplete")),
        version="1.74.15",
    ),
    ProxyRow(  # an assistant turn with tool calls and content null
        "bridge_drops_none",
        True,
        Send(
            "/v1/responses",
            {
                **RESPONSE,
                "input": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": None},
                    {"role": "user", "content": "again"},
                ],
            },
        ),
        lambda r: (r.status_code, len(r.extensions["upstream_bodies"])),
        ((500, 0), (200, 1)),
        version="1.74.15",
    ),
    ProxyRow(
        "bridge_text_config",
        False,
        Send("/v1/responses", RESPONSE),
        at("text"),
        ({"format": None, "verbosity": None}, {}),
        version="1.74.15",
    ),
    ProxyRow(
        "bridge_usage_cost",
        True,
        Send("/v1/responses", RESPONSE),
        has("cost", "usage"),
        (False, True),
        version="1.74.15",
    ),
    ProxyRow(
        "bridge_usage_details",
        True,
        Send("/v1/responses", RESPONSE),
        at("usage", "output_tokens_details"),
        (None, {"reasoning_tokens": 3, "text_tokens": None}),
        version="1.74.15",
        upstream="0.34.0",  # counts reasoning tokens in completion_tokens_details
        upstream_config=REASONING,
    ),
    ProxyRow(
        "bridge_reasoning_hash_id",
        True,
        Send("/v1/responses", RESPONSE),
        lambda r: r.json()["output"][0]["id"].startswith("rs_"),
        (False, True),
        version="1.74.15",
        upstream_config=REASONING,
    ),
    ProxyRow(
        "bridge_function_call_keys",
        ("name", "arguments"),
        Send("/v1/responses", {**RESPONSE, "tools": RESPONSES_TOOLS}),
        lambda r: list(r.json()["output"][-1]),
        (["arguments", "call_id", "name", "type", "id", "status"], ["name", "arguments"]),
        version="1.74.15",
        upstream_config={**TOOLS, "script": CALL},
    ),
    ProxyRow(
        "bridge_stream_events",
        True,
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: sse_events(r)[0]["type"],
        ("response.output_text.delta", "response.created"),
        version="1.74.15",
    ),
    ProxyRow(
        "bridge_stream_headers",
        ("x-litellm-model-id",),
        Send("/v1/responses", RESPONSE_STREAM),
        lambda r: "x-litellm-model-id" in r.headers,
        (False, True),
        version="1.74.15",
    ),
    # /v1/messages through the Anthropic adapter
    ProxyRow(
        "messages_anthropic_errors",
        False,
        Send("/v1/messages", {**ANTHROPIC, "model": "nope"}),
        lambda r: "type" in r.json(),
        (True, False),
    ),
    ProxyRow(
        "messages_auth_anthropic",
        False,
        Send("/v1/messages", ANTHROPIC, headers={"Authorization": "Bearer "}),
        lambda r: (r.status_code, "type" in r.json()),
        ((401, True), (401, False)),
    ),
    ProxyRow(
        "messages_body_model",
        "provider",
        Send("/v1/messages", ANTHROPIC),
        at("model"),
        ("fake-model", "hosted_vllm/upstream-model"),
    ),
    ProxyRow(
        "messages_stop_details",
        False,
        Send("/v1/messages", ANTHROPIC),
        has("stop_details"),
        (True, False),
    ),
    ProxyRow(
        "messages_start_compact",
        False,
        Send("/v1/messages", {**ANTHROPIC, "stream": True}),
        lambda r: '{"type":"message_start"' in r.text,
        (True, False),
    ),
    ProxyRow(
        "messages_start_model",
        "upstream",
        Send("/v1/messages", {**ANTHROPIC, "stream": True}),
        lambda r: sse_typed(r, "message_start")["message"]["model"],
        ("fake-model", "upstream-model"),
    ),
    ProxyRow(
        "messages_text_block_first",
        True,
        Send("/v1/messages", {**ANTHROPIC, "stream": True, "tools": [ANTHROPIC_WEATHER]}),
        lambda r: sse_typed(r, "content_block_start")["content_block"]["type"],
        ("tool_use", "text"),
        upstream_config={**TOOLS, "script": WEATHER_CALL},
    ),
    ProxyRow(
        "messages_tool_header_delta",
        True,
        Send("/v1/messages", {**ANTHROPIC, "stream": True, "tools": [ANTHROPIC_WEATHER]}),
        lambda r: sse_typed(r, "content_block_delta")["delta"].get("partial_json"),
        # the upstream (vLLM 0.12.0) sends its hermes parser's own first fragment
        ('{"city": "', ""),
        upstream_config={**TOOLS, "script": WEATHER_CALL},
    ),
    ProxyRow(
        "messages_trailing_empty_delta",
        True,
        Send("/v1/messages", {**ANTHROPIC, "stream": True}),
        lambda r: [e["type"] for e in sse_events(r)][-3],
        ("content_block_stop", "content_block_delta"),
    ),
    ProxyRow(
        "messages_start_cache_tokens",
        False,
        Send("/v1/messages", {**ANTHROPIC, "stream": True}),
        lambda r: "cache_read_input_tokens" in sse_typed(r, "message_start")["message"]["usage"],
        (True, False),
    ),
    ProxyRow(
        "messages_usage_total",
        True,
        Send("/v1/messages", ANTHROPIC),
        has("total_tokens", "usage"),
        (False, True),
    ),
    ProxyRow(
        "messages_tool_provider_fields",
        True,
        Send("/v1/messages", {**ANTHROPIC, "tools": [ANTHROPIC_WEATHER]}),
        lambda r: "provider_specific_fields" in r.json()["content"][-1],
        (False, True),
        upstream_config={**TOOLS, "script": WEATHER_CALL},
    ),
    ProxyRow(  # vLLM 0.9.2's hermes parser sends argument fragments that are empty strings
        "messages_empty_arguments_delta",
        True,
        Send("/v1/messages", {**ANTHROPIC, "stream": True, "tools": [ANTHROPIC_WEATHER]}),
        lambda r: [e.get("delta", {}).get("partial_json") for e in sse_events(r)].count(""),
        (0, 2),
        upstream="0.9.2",
        upstream_config={**TOOLS, "script": WEATHER_CALL},
    ),
    ProxyRow(
        "messages_unknown_model_route",
        True,
        Send("/v1/messages", {**ANTHROPIC, "model": "nope"}),
        at("error", "message"),
        (
            "400: {'error': 'completion: Invalid model name passed in model=nope'}",
            "400: {'error': 'anthropic_messages: Invalid model name passed in model=nope. "
            "Call `/v1/models` to view available models for your key.'}",
        ),
        version="1.74.15",
    ),
    ProxyRow(
        "messages_unknown_model_headers",
        ("x-litellm-call-id",),
        Send("/v1/messages", {**ANTHROPIC, "model": "nope"}),
        header("x-litellm-version"),
        ("1.110.2", None),
    ),
    ProxyRow(
        "messages_missing_max_tokens_headers",
        (),
        Send("/v1/messages", {"model": "fake-model", "messages": ANTHROPIC["messages"]}),
        lambda r: "x-litellm-call-id" in r.headers,
        (True, False),
    ),
    ProxyRow(
        "messages_headers",
        ("x-litellm-version",),
        Send("/v1/messages", ANTHROPIC),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
    ProxyRow(
        "messages_stream_headers",
        ("x-litellm-version",),
        Send("/v1/messages", {**ANTHROPIC, "stream": True}),
        header("x-litellm-model-group"),
        ("fake-model", None),
    ),
]


async def _proxy_answer(row: ProxyRow, knobs: dict[str, Any]) -> httpx.Response:
    upstream_profile, upstream_release = resolve_vllm_profile(row.upstream, None)
    upstream = create_vllm_app(
        VllmConfig(
            profile=with_knobs(upstream_profile, row.upstream_knobs),
            version=upstream_release,
            **{**UPSTREAM, **row.upstream_config},
        )
    )
    profile, release = resolve_litellm_profile(row.version, None)
    deployment = Deployment(
        **{
            "model_name": "fake-model",
            "provider": "hosted_vllm",
            "upstream_model": "upstream-model",
            "api_base": "http://upstream.fake/v1",
            **row.deployment,
        }
    )
    config = LitellmConfig(
        with_knobs(profile, knobs), release, (deployment,), master_key=KEY, keys=row.keys
    )
    proxy = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    transport = httpx.ASGITransport(app=proxy)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
        send = row.send
        headers = {"Authorization": f"Bearer {KEY}", **send.headers}
        for _ in range(send.times):
            if send.json is None:
                answer = await client.get(send.path, headers=headers)
            else:
                answer = await client.post(send.path, json=send.json, headers=headers)
    # what the upstream was sent, for the knobs that shape it
    answer.extensions["upstream_bodies"] = [
        e.json_body() for e in upstream.state.fake.log.entries()
    ]
    return answer


@pytest.mark.parametrize("row", LITELLM_ROWS, ids=lambda row: row.knob)
async def test_a_flipped_litellm_knob_changes_the_answer(row: ProxyRow) -> None:
    profile, _ = resolve_litellm_profile(row.version, None)
    flipped_knobs = with_knobs(profile, {row.knob: row.value}).knobs
    assert getattr(profile.knobs, row.knob) != getattr(flipped_knobs, row.knob)
    assert row.expect[0] != row.expect[1]
    as_profiled = row.observe(await _proxy_answer(row, {}))
    flipped = row.observe(await _proxy_answer(row, {row.knob: row.value}))
    assert (as_profiled, flipped) == row.expect


CONFIG = """model_list:
  - model_name: fake-model
    litellm_params: {model: hosted_vllm/fake-model, api_base: "http://upstream.fake/v1"}
"""


def test_master_key_boot_check_refuses_a_config_without_a_key() -> None:
    """A startup knob: no request to send, the config is refused or read."""
    profile, release = resolve_litellm_profile("1.110.2", None)
    with pytest.raises(UnsafeMasterKeyError):
        parse_config(CONFIG, "config.yaml", profile, release, {})
    unchecked = with_knobs(profile, {"master_key_boot_check": False})
    config = parse_config(CONFIG, "config.yaml", unchecked, release, {})
    assert (config.master_key, config.model_names) == (None, ["fake-model"])

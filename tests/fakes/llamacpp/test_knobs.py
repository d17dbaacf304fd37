"""Each knob of a llama.cpp profile, flipped alone on b11434, changes what the wire shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fakes.llamacpp import LlamacppConfig, create_llamacpp_app
from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.profiles import builtin, with_knobs

BASE = builtin("llamacpp").get("llamacpp-b11434")
HI = {"model": "asked", "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**HI, "stream": True}
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
CALL = Script(rules=(Rule(reply=Reply(tool_calls=(ToolCallReply(name="f"),))),))
THINK = Script(rules=(Rule(reply=Reply(text=" ok", reasoning=" hmm")),))


async def _answer(
    overrides: dict[str, Any], method: str, path: str, body: Any, **options: Any
) -> httpx.Response:
    """``api_keys`` in options: the server wants one, and the request sends none."""
    profile = with_knobs(BASE, overrides)
    config = LlamacppConfig(profile=profile, build=11434, alias="tiny", **options)
    transport = httpx.ASGITransport(app=create_llamacpp_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        headers = (
            {"x-fake-fault": body.pop("fault")}
            if isinstance(body, dict) and "fault" in body
            else {}
        )
        if isinstance(body, bytes):
            return await client.request(method, path, content=body, headers=headers)
        return await client.request(method, path, json=body, headers=headers)


def _last_event(answer: httpx.Response) -> str:
    return [block for block in answer.text.split("\n\n") if block][-1]


CASES: list[tuple[str, Any, str, str, Any, dict[str, Any], Callable[[httpx.Response], Any]]] = [
    (
        "build_commit",
        "abc1234",
        "POST",
        "/v1/chat/completions",
        HI,
        {},
        lambda a: a.json()["system_fingerprint"],
    ),
    ("done_sentinel", False, "POST", "/v1/chat/completions", STREAM, {}, _last_event),
    (
        "stream_error",
        "error_event",
        "POST",
        "/v1/chat/completions",
        {**STREAM, "fault": "error_frame; after_chunks=1"},
        {},
        _last_event,
    ),
    (
        "done_after_error",
        True,
        "POST",
        "/v1/chat/completions",
        {**STREAM, "fault": "error_frame; after_chunks=1"},
        {},
        _last_event,
    ),
    (
        "jinja_default",
        False,
        "POST",
        "/v1/chat/completions",
        {**HI, "tools": TOOLS},
        {},
        lambda a: a.status_code,
    ),
    ("slots_default", False, "GET", "/slots", None, {}, lambda a: a.status_code),
    (
        "model_from_request",
        True,
        "POST",
        "/v1/chat/completions",
        HI,
        {},
        lambda a: a.json()["model"],
    ),
    (
        "default_model",
        "gpt-3.5-turbo-0613",
        "POST",
        "/v1/chat/completions",
        {"messages": HI["messages"]},
        {"model_from_request": True},
        lambda a: a.json()["model"],
    ),
    (
        "tool_call_content",
        None,
        "POST",
        "/v1/chat/completions",
        {**HI, "tools": TOOLS},
        {"script": CALL},
        lambda a: a.json()["choices"][0]["message"]["content"],
    ),
    (
        "http_error_keys",
        ["code", "message", "type"],
        "GET",
        "/nope",
        None,
        {},
        lambda a: list(a.json()["error"]),
    ),
    (
        "reasoning_stream",
        False,
        "POST",
        "/v1/chat/completions",
        STREAM,
        {"script": THINK},
        lambda a: "reasoning_content" in a.text,
    ),
    ("models_aliases", False, "GET", "/v1/models", None, {}, lambda a: list(a.json()["data"][0])),
    ("models_ollama_list", False, "GET", "/v1/models", None, {}, lambda a: list(a.json())),
    (
        "parse_error_status",
        500,
        "POST",
        "/v1/chat/completions",
        b"{not json",
        {},
        lambda a: (a.status_code, a.json()["error"]["type"]),
    ),
    (
        "missing_messages_status",
        500,
        "POST",
        "/v1/chat/completions",
        {},
        {},
        lambda a: a.status_code,
    ),
    (
        "missing_messages",
        "gone",
        "POST",
        "/v1/chat/completions",
        {},
        {},
        lambda a: a.json()["error"]["message"],
    ),
    ("health_v1", False, "GET", "/v1/health", None, {}, lambda a: a.status_code),
    (
        "public_paths",
        ["/health", "/v1/models"],
        "GET",
        "/v1/models",
        None,
        {"api_keys": ("k",)},
        lambda a: a.status_code,
    ),
]


@pytest.mark.parametrize(
    ("knob", "value", "method", "path", "body", "extra", "shown"), CASES, ids=[c[0] for c in CASES]
)
async def test_a_knob_alone_changes_the_answer(
    knob: str,
    value: Any,
    method: str,
    path: str,
    body: Any,
    extra: dict[str, Any],
    shown: Callable[[httpx.Response], Any],
) -> None:
    options = {k: v for k, v in extra.items() if k in ("script", "api_keys")}
    knobs = {k: v for k, v in extra.items() if k not in options}

    def copy() -> Any:  # each request gets its own body (a fault is popped off it)
        return body if isinstance(body, bytes) else json.loads(json.dumps(body))

    before = shown(await _answer(knobs, method, path, copy(), **options))
    after = shown(await _answer({**knobs, knob: value}, method, path, copy(), **options))
    assert before != after, f"{knob}={value!r} changed nothing: {before!r}"

"""/v1/messages through the proxy: LiteLLM's Anthropic adapter turns the request into a chat
completion for the deployment's upstream and the answer back into Anthropic's body or event
stream, in each release's own way (seen on the real proxy in front of the fake vLLM)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.http import sse
from fakes.http.eventstream import EventStreamResponse
from fakes.litellm import _errors
from fakes.litellm._config import Deployment
from fakes.litellm._headers import CallInfo, stream_extra
from fakes.litellm._state import LitellmState
from fakes.litellm._stream import model_name
from fakes.litellm._upstream import open_upstream
from fakes.profiles import LitellmKnobs, ModelField
from fakes.types import JSONObject

ROUTE = "anthropic_messages"
_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def _error_body(knobs: LitellmKnobs, error: _errors.ProxyError) -> Response:
    if not knobs.messages_anthropic_errors:
        return error.response()
    extra = dict(error.extra)
    if error.type == "auth_error":
        kind = "authentication_error"
        extra = {"litellm_error_type": "auth_error", **extra}
    elif error.type == "invalid_request_error":
        kind = error.type
    else:
        kind = _TYPE_BY_STATUS.get(error.status, "api_error")
    inner = {"type": kind, "message": error.message, **extra}
    response = Response(
        orjson.dumps({"type": "error", "error": inner}),
        status_code=error.status,
        media_type="application/json",
    )
    for name, value in error.headers:
        response.headers.append(name, value)
    return response


def _unknown_model(knobs: LitellmKnobs, model: object) -> _errors.ProxyError:
    if knobs.messages_anthropic_errors:
        return _errors.unknown_model(knobs, ROUTE, model)
    text = f"completion: Invalid model name passed in model={model}"
    if knobs.messages_unknown_model_route:
        text = _errors.unknown_model_text(ROUTE, model)
    return _errors.ProxyError(f"400: { {'error': text}!r}", 400, "None", "None")


def _missing_max_tokens(knobs: LitellmKnobs) -> _errors.ProxyError:
    if knobs.messages_anthropic_errors:
        message = f"{ROUTE}: Missing required parameter: 'max_tokens'."
        return _errors.ProxyError(message, 400, "invalid_request_error")
    message = f"{ROUTE}() missing 1 required positional argument: 'max_tokens'"
    return _errors.ProxyError(message, 500, "None", "None")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        str(b.get("text", ""))
        for b in content or []
        if isinstance(b, dict) and b.get("type") == "text"
    )


def chat_request(body: JSONObject, upstream_model: str) -> JSONObject:
    """The chat completion the adapter sends upstream (text, tool_use and tool_result)."""
    messages: list[JSONObject] = []
    if body.get("system"):
        messages.append({"role": "system", "content": _text(body["system"])})
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            messages.append({"role": message.get("role"), "content": content})
            continue
        calls = [
            {
                "id": b.get("id"),
                "type": "function",
                "function": {
                    "name": b.get("name"),
                    "arguments": orjson.dumps(b.get("input") or {}).decode(),
                },
            }
            for b in content or []
            if isinstance(b, dict) and b.get("type") == "tool_use"
        ]
        for b in content or []:
            if isinstance(b, dict) and b.get("type") == "tool_result":
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": b.get("tool_use_id"),
                        "content": _text(b.get("content")),
                    }
                )
        text = _text(content)
        if text or calls:
            out: JSONObject = {"role": message.get("role"), "content": text}
            if calls:
                out["tool_calls"] = calls
            messages.append(out)
    chat: JSONObject = {
        "model": upstream_model,
        "messages": messages,
        "max_tokens": body["max_tokens"],
    }
    if body.get("stop_sequences"):
        chat["stop"] = body["stop_sequences"]
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        chat["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.get("name"),
                    **({"description": t["description"]} if t.get("description") else {}),
                    "parameters": t.get("input_schema") or {},
                },
            }
            for t in tools
            if isinstance(t, dict)
        ]
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            kind = choice.get("type")
            if kind == "tool":
                chat["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
            elif kind in ("auto", "any", "none"):
                chat["tool_choice"] = {"any": "required"}.get(kind, kind)
    return chat


def _usage(usage: Any, *, total: bool = False) -> JSONObject:
    usage = usage if isinstance(usage, dict) else {}
    out: JSONObject = {
        "input_tokens": usage.get("prompt_tokens") or 0,
        "output_tokens": usage.get("completion_tokens") or 0,
    }
    if total:
        out["total_tokens"] = out["input_tokens"] + out["output_tokens"]
    return out


def message_body(knobs: LitellmKnobs, deployment: Deployment, data: JSONObject) -> JSONObject:
    choice = (data.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[JSONObject] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = {}
        block: JSONObject = {
            "type": "tool_use",
            "id": call.get("id"),
            "name": function.get("name"),
            "input": arguments,
        }
        if knobs.messages_tool_provider_fields:
            block["provider_specific_fields"] = None
        content.append(block)
    body: JSONObject = {
        "id": data.get("id"),
        "type": "message",
        "role": "assistant",
        "model": model_name(knobs.messages_body_model, deployment),
        "stop_sequence": None,
        "usage": _usage(data.get("usage"), total=knobs.messages_usage_total),
        "content": content,
        "stop_reason": _STOP.get(str(choice.get("finish_reason")), "end_turn"),
    }
    if knobs.messages_stop_details:
        body["stop_details"] = None
    if knobs.messages_usage_total:
        used = body["usage"]
        used["total_tokens"] = used["input_tokens"] + used["output_tokens"]
    return body


def _event(payload: JSONObject, *, compact: bool = False) -> bytes:
    data = sse.compact(payload) if compact else sse.spaced(payload)
    return sse.event(data, fields=(("event", str(payload["type"])),))


async def _chunks(response: httpx.Response) -> AsyncGenerator[JSONObject, None]:
    async for line in response.aiter_lines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        try:
            chunk = orjson.loads(line[5:].strip())
        except orjson.JSONDecodeError:
            continue
        if isinstance(chunk, dict):
            yield chunk


async def message_stream(
    knobs: LitellmKnobs,
    deployment: Deployment,
    response: httpx.Response,
    close: Callable[[], Any],
) -> AsyncGenerator[bytes, None]:
    """message_start, one block at a time, message_delta with the upstream's usage."""
    start: JSONObject | None = None
    index = -1
    open_kind: str | None = None
    finish: str | None = None
    usage: JSONObject = {}
    out: list[bytes] = []

    def begin(block: JSONObject) -> None:
        nonlocal index, open_kind
        if open_kind is not None:
            out.append(_event({"type": "content_block_stop", "index": index}))
        index += 1
        open_kind = str(block["type"])
        out.append(_event({"type": "content_block_start", "index": index, "content_block": block}))

    def delta(value: JSONObject) -> None:
        out.append(_event({"type": "content_block_delta", "index": index, "delta": value}))

    try:
        async for chunk in _chunks(response):
            if start is None:
                usage0: JSONObject = {"input_tokens": 0, "output_tokens": 0}
                if knobs.messages_start_cache_tokens:
                    usage0 |= {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
                field = knobs.messages_start_model
                name = (
                    chunk.get("model")
                    if field is ModelField.UPSTREAM
                    else model_name(field, deployment)
                )
                start = {
                    "type": "message_start",
                    "message": {
                        "id": f"msg_{uuid.uuid4()}",
                        "type": "message",
                        "role": "assistant",
                        "content": [],
                        "model": name,
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": usage0,
                    },
                }
                yield _event(start, compact=knobs.messages_start_compact)
                if knobs.messages_text_block_first:
                    begin({"type": "text", "text": ""})
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                d = choice.get("delta") or {}
                finish = choice.get("finish_reason") or finish
                empty_text = (
                    knobs.messages_empty_deltas
                    and d.get("content") == ""
                    and not choice.get("finish_reason")
                )
                if d.get("content") or empty_text:
                    if open_kind != "text":
                        begin({"type": "text", "text": ""})
                    delta({"type": "text_delta", "text": d["content"]})
                for call in d.get("tool_calls") or []:
                    function = call.get("function") or {}
                    if call.get("id"):
                        begin(
                            {
                                "type": "tool_use",
                                "id": call["id"],
                                "name": function.get("name"),
                                "input": {},
                            }
                        )
                        if knobs.messages_tool_header_delta:
                            delta(
                                {
                                    "type": "input_json_delta",
                                    "partial_json": function.get("arguments") or "",
                                }
                            )
                            continue
                    arguments = function.get("arguments")
                    say_empty = knobs.messages_empty_deltas or knobs.messages_empty_arguments_delta
                    if arguments or (say_empty and arguments == ""):
                        delta({"type": "input_json_delta", "partial_json": arguments})
            for event in out:
                yield event
            out.clear()
        if open_kind is not None:
            yield _event({"type": "content_block_stop", "index": index})
        if knobs.messages_trailing_empty_delta:
            after = index + 1 if open_kind == "tool_use" else max(index, 0)
            empty = {"type": "text_delta", "text": ""}
            yield _event({"type": "content_block_delta", "index": after, "delta": empty})
        reason = _STOP.get(str(finish), "end_turn")
        yield _event(
            {"type": "message_delta", "delta": {"stop_reason": reason}, "usage": _usage(usage)}
        )
        yield _event({"type": "message_stop"})
    finally:
        await close()


async def messages(request: Request) -> Response | EventStreamResponse:
    from fakes.litellm import _routes

    state: LitellmState = request.app.state.fake
    knobs = state.knobs
    call = CallInfo(version=state.version, timeout=knobs.generic_api_timeout or "6000.0")
    try:
        try:
            _routes.check_key(state, request)
        except _errors.ProxyError as refused:
            if knobs.messages_auth_anthropic:
                raise
            return refused.response()  # 1.109 checks the key before the route's error mapping
        body = await _routes._body(request)
        model = body.get("model")
        group = state.config.group(model) if isinstance(model, str) else ()
        if not group:
            error = _unknown_model(knobs, model)
            error.headers = call.headers(knobs.messages_unknown_model_headers)
            raise error
        # without the Anthropic adapter's checks the router picks a deployment first, and the
        # call to it finds max_tokens missing (seen: 1.80.17 and 1.90.7 name its model id)
        routed = knobs.messages_missing_max_tokens_routed
        picked_first = routed and not knobs.messages_anthropic_errors
        if picked_first:
            deployment = _routes._pick(state, call, str(model), group)
        if "max_tokens" not in body:
            error = _missing_max_tokens(knobs)
            error.headers = call.headers(knobs.messages_missing_max_tokens_headers)
            raise error
        if not picked_first:
            deployment = _routes._pick(state, call, str(model), group)
        stream = bool(body.get("stream"))
        chat = chat_request(body, deployment.upstream_model)
        if stream:
            chat["stream"] = True
            chat["stream_options"] = {"include_usage": True}
        opened = await open_upstream(state, deployment, "/chat/completions", chat, call)
        if stream:
            headers = call.headers(knobs.messages_stream_headers) + stream_extra(knobs)
            return _routes._stream(
                message_stream(knobs, deployment, opened.response, opened.aclose), headers
            )
        try:
            data = orjson.loads(await opened.response.aread())
        finally:
            await opened.aclose()
        return _routes._json(
            message_body(knobs, deployment, data),
            headers=call.answer_headers(knobs, knobs.messages_headers),
        )
    except _errors.ProxyError as error:
        return _error_body(knobs, error)

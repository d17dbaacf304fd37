"""/v1/messages (Anthropic) as vLLM serves it: the request becomes a chat completion request
(anthropic/serving_messages.py, later anthropic/serving.py: to_chat_completion_request), and
the chat body or error is turned back into Anthropic's shapes. The stream is
``messages_stream``."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from fakes.profiles import Knobs, MessagesTextBlock
from fakes.types import JSONObject

# 0.34.0 anthropic/protocol.py:34-43 _ANTHROPIC_ERROR_TYPE_BY_STATUS
_ERROR_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
}

# 0.11.1 serving_messages.py:80-84 stop_reason_map
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def anthropic_error_type(status: int) -> str:
    """translate_error_type (0.34.0 anthropic/protocol.py:46-53)."""
    known = _ERROR_TYPE_BY_STATUS.get(status)
    if known is not None:
        return known
    return "api_error" if status >= HTTPStatus.INTERNAL_SERVER_ERROR else "invalid_request_error"


def error_body(knobs: Knobs, status: int, vllm_type: str, message: str) -> JSONObject:
    kind = anthropic_error_type(status) if knobs.messages_anthropic_error_types else vllm_type
    return {"type": "error", "error": {"type": kind, "message": message}}


def error_response(knobs: Knobs, status: int, vllm_type: str, message: str) -> Response:
    body = orjson.dumps(error_body(knobs, status, vllm_type, message))
    return Response(body, status_code=status, media_type="application/json")


# --- the request, as a chat completion request ---------------------------------------------


def _system_message(system: Any) -> JSONObject | None:
    if not system:
        return None
    if isinstance(system, str):
        return {"role": "system", "content": system}
    text = "".join(
        block.get("text") or ""
        for block in system
        if isinstance(block, dict) and block.get("type") == "text"
    )
    return {"role": "system", "content": text}


def _tool_call(block: JSONObject) -> JSONObject:
    return {
        "id": block.get("id") or "call_0",
        "type": "function",
        "function": {
            "name": block.get("name") or "",
            "arguments": json.dumps(block.get("input") or {}),
        },
    }


def _converted(message: JSONObject) -> list[JSONObject]:
    """One Anthropic message as chat messages: tool results become tool messages first."""
    role = message.get("role")
    content = message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    before: list[JSONObject] = []
    parts: list[JSONObject] = []
    calls: list[JSONObject] = []
    for block in content or []:
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            parts.append({"type": "text", "text": block["text"]})
        elif kind == "tool_use":
            calls.append(_tool_call(block))
        elif kind == "tool_result" and role == "user":
            result = block.get("content")
            before.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id") or "",
                    "content": result if isinstance(result, str) else str(result or ""),
                }
            )
    out: JSONObject = {"role": role}
    if calls:
        out["tool_calls"] = calls
    if parts:
        only_text = len(parts) == 1
        out["content"] = parts[0]["text"] if only_text else parts
    elif not calls:
        return before
    return [*before, out]


def _tool_choice(choice: Any) -> Any:
    if not isinstance(choice, dict):
        return None
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return {"auto": "auto", "any": "required", "none": "none"}.get(str(kind))


def chat_request(knobs: Knobs, body: JSONObject) -> JSONObject:
    """The chat completion request vLLM builds from a /v1/messages body."""
    system = _system_message(body.get("system"))
    messages = [system] if system else []
    for message in body.get("messages") or []:
        messages.extend(_converted(message))
    chat: JSONObject = {
        "model": body.get("model"),
        "messages": messages,
        "max_tokens": body.get("max_tokens"),
    }
    if body.get("stop_sequences"):
        chat["stop"] = body["stop_sequences"]
    if body.get("stream"):
        chat["stream"] = True
        # continuous usage from 0.13 (serving_messages.py: StreamOptions(include_usage,
        # continuous_usage_stats)); 0.11.1 asks for include_usage only
        continuous = knobs.messages_start is not knobs.messages_start.BARE
        chat["stream_options"] = {"include_usage": True, "continuous_usage_stats": continuous}
    tool_choice = _tool_choice(body.get("tool_choice"))
    tools = body.get("tools")
    if tools is not None:
        chat["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.get("name"),
                    "description": tool.get("description"),
                    "parameters": tool.get("input_schema"),
                },
            }
            for tool in tools
        ]
        tool_choice = tool_choice or "auto"
    if tool_choice is not None:
        chat["tool_choice"] = tool_choice
    return chat


# --- the body --------------------------------------------------------------------------------


def stop_reason(
    knobs: Knobs, finish: str | None, matched: Any, *, tool_used: bool
) -> tuple[str | None, str | None]:
    """(stop_reason, stop_sequence): 0.11.1 maps the finish reason alone; 0.29 on report a
    matched stop string, and a tool call as tool_use (0.34.0 serving.py
    _to_anthropic_stop_reason)."""
    if not knobs.messages_stop_sequence:
        return _STOP_REASONS.get(finish or ""), None
    if finish == "length":
        return "max_tokens", None
    if finish not in ("stop", "tool_calls"):
        return None, None
    if tool_used:
        return "tool_use", None
    if isinstance(matched, str):
        return "stop_sequence", matched
    return "end_turn", None


def _usage(usage: JSONObject | None) -> JSONObject:
    """_build_anthropic_usage: prompt and completion tokens (no cache details without
    --enable-prompt-tokens-details)."""
    if not usage:
        return {"input_tokens": 0, "output_tokens": 0}
    return {
        "input_tokens": usage.get("prompt_tokens") or 0,
        "output_tokens": usage.get("completion_tokens") or 0,
    }


def message_body(knobs: Knobs, chat: JSONObject) -> JSONObject:
    """messages_full_converter, dumped with exclude_none."""
    choice = chat["choices"][0]
    message = choice["message"]
    calls = message.get("tool_calls") or []
    text = message.get("content") or ""
    content: list[JSONObject] = []
    if knobs.messages_text_block is MessagesTextBlock.LEADING or text:
        content.append({"type": "text", "text": text})
    for call in calls:
        function = call["function"]
        content.append(
            {
                "type": "tool_use",
                "id": call["id"],
                "name": function["name"],
                "input": json.loads(function["arguments"]),
            }
        )
    if not content and knobs.messages_text_block is MessagesTextBlock.PRESENT_OR_EMPTY:
        content.append({"type": "text", "text": ""})
    reason, sequence = stop_reason(
        knobs, choice.get("finish_reason"), choice.get("stop_reason"), tool_used=bool(calls)
    )
    body: JSONObject = {
        "id": chat["id"],
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": chat["model"],
    }
    if reason is not None:
        body["stop_reason"] = reason
    if sequence is not None:
        body["stop_sequence"] = sequence
    body["usage"] = _usage(chat.get("usage"))
    return body


def usage_of(chunk: JSONObject) -> JSONObject:
    return _usage(chunk.get("usage"))

"""llama-server's JSON bodies, stream chunks and error bodies, as its JSON type writes them:
keys in insertion order (nlohmann::ordered_json, later common_json), no spaces (dump(-1))."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from fakes.llamacpp._plan import Plan, ToolCall
from fakes.profiles._llamacpp import FirstChunk, LlamacppKnobs, StreamError, StreamUsageMode

JSON = "application/json; charset=utf-8"


def dump(value: Any) -> bytes:
    return orjson.dumps(value)


def sse(value: Any) -> bytes:
    return b"data: " + dump(value) + b"\n\n"


DONE = b"data: [DONE]\n\n"


# --- errors (server-common.cpp format_error_response) ---------------------------------------

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    500: "server_error",
    501: "not_supported_error",
    503: "unavailable_error",
}


def error_body(
    message: str, status: int, kind: str | None = None, order: tuple[str, ...] = ()
) -> dict[str, Any]:
    """format_error_response: code, message, type (``order``: the HTTP layer's own order)."""
    body = {
        "code": status,
        "message": message,
        "type": kind or ERROR_TYPES.get(status, "server_error"),
    }
    return {key: body[key] for key in order or body}


def stream_error(knobs: LlamacppKnobs, error: dict[str, Any]) -> bytes:
    """An error after the stream's 200 went out; the stream ends after it."""
    if knobs.stream_error is StreamError.ERROR_EVENT:
        frame = b"error: " + dump(error) + b"\n\n"
    else:
        frame = sse({"error": error})
    return frame + (DONE if knobs.done_after_error else b"")


# --- timings (server-common.cpp server_slot_stats::to_json) ---------------------------------


@dataclass(frozen=True)
class Timings:
    prompt_n: int
    prompt_ms: float
    predicted_n: int
    predicted_ms: float
    cache_n: int = 0

    def to_json(self, knobs: LlamacppKnobs) -> dict[str, Any]:
        body: dict[str, Any] = {"cache_n": self.cache_n} if knobs.cached_tokens else {}
        body |= {
            "prompt_n": self.prompt_n,
            "prompt_ms": self.prompt_ms,
            "prompt_per_token_ms": _ratio(self.prompt_ms, self.prompt_n),
            "prompt_per_second": _ratio(1e3 * self.prompt_n, self.prompt_ms),
            "predicted_n": self.predicted_n,
            "predicted_ms": self.predicted_ms,
            "predicted_per_token_ms": _ratio(self.predicted_ms, self.predicted_n),
            "predicted_per_second": _ratio(1e3 * self.predicted_n, self.predicted_ms),
        }
        return body


def _ratio(top: float, bottom: float) -> float | None:
    # C++ divides by zero into inf/nan, which nlohmann::json writes as null
    return top / bottom if bottom else None


# --- chat ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """What every body and chunk of one answer shares."""

    id: str
    model: str
    created: int
    fingerprint: str | None

    def body(self, choices: list[Any], obj: str) -> dict[str, Any]:
        """A body's order: choices, created, model, system_fingerprint, object."""
        body: dict[str, Any] = {"choices": choices, "created": self.created, "model": self.model}
        if self.fingerprint is not None:
            body["system_fingerprint"] = self.fingerprint
        body["object"] = obj
        return body

    def chunk(self, choices: list[Any]) -> dict[str, Any]:
        """A chat chunk's order: choices, created, id, model, system_fingerprint, object."""
        body: dict[str, Any] = {"choices": choices, "created": self.created, "id": self.id}
        body["model"] = self.model
        if self.fingerprint is not None:
            body["system_fingerprint"] = self.fingerprint
        body["object"] = "chat.completion.chunk"
        return body


def usage(knobs: LlamacppKnobs, plan: Plan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "completion_tokens": plan.completion_tokens,
        "prompt_tokens": plan.prompt_tokens,
        "total_tokens": plan.completion_tokens + plan.prompt_tokens,
    }
    if knobs.cached_tokens:
        body["prompt_tokens_details"] = {"cached_tokens": 0}
    return body


def _tool_call(call: ToolCall) -> dict[str, Any]:
    function = {"name": call.name, "arguments": call.arguments}
    return {"type": "function", "function": function, "id": call.id}


def message(knobs: LlamacppKnobs, plan: Plan) -> dict[str, Any]:
    content = "".join(plan.content)
    values: dict[str, Any] = {"role": "assistant", "content": content}
    if not content and plan.tool_calls:
        values["content"] = knobs.tool_call_content
    if plan.reasoning:
        values["reasoning_content"] = "".join(plan.reasoning)
    if plan.tool_calls:
        values["tool_calls"] = [_tool_call(call) for call in plan.tool_calls]
    return {key: values[key] for key in knobs.message_keys if key in values}


def chat_body(
    knobs: LlamacppKnobs, frame: Frame, plan: Plan, timings: Timings | None
) -> dict[str, Any]:
    choice = {"finish_reason": plan.finish_reason, "index": 0, "message": message(knobs, plan)}
    body = frame.body([choice], "chat.completion")
    body["usage"] = usage(knobs, plan)
    body["id"] = frame.id
    if timings is not None:
        body["timings"] = timings.to_json(knobs)
    return body


def chunk(frame: Frame, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return frame.chunk([{"finish_reason": finish, "index": 0, "delta": delta}])


def first_deltas(knobs: LlamacppKnobs) -> list[dict[str, Any]]:
    """The delta sent before the first token's own."""
    if knobs.first_chunk is FirstChunk.ROLE_NULL_CONTENT:
        return [{"role": "assistant", "content": None}]
    return []


def token_deltas(knobs: LlamacppKnobs, plan: Plan) -> list[dict[str, Any]]:
    """One delta per generated piece (reasoning, content, then each tool call)."""
    deltas: list[dict[str, Any]] = [{"reasoning_content": piece} for piece in plan.reasoning]
    deltas += [{"content": piece} for piece in plan.content if piece]
    for index, call in enumerate(plan.tool_calls):
        head = {"index": index, "id": call.id, "type": "function"}
        deltas.append({"tool_calls": [{**head, "function": {"name": call.name}}]})
        deltas.append({"tool_calls": [{"index": index, "function": {"arguments": call.arguments}}]})
    return deltas


def final_chunks(
    knobs: LlamacppKnobs, frame: Frame, plan: Plan, timings: Timings | None, include_usage: bool
) -> list[dict[str, Any]]:
    """The finish chunk, the usage chunk when asked for, timings on the last of them."""
    finish = chunk(frame, {}, plan.finish_reason)
    chunks = [finish]
    if knobs.stream_usage is StreamUsageMode.FINISH_CHUNK:
        finish["usage"] = usage(knobs, plan)
    elif include_usage:
        last = frame.chunk([])
        last["usage"] = usage(knobs, plan)
        chunks.append(last)
    if timings is not None:
        chunks[-1]["timings"] = timings.to_json(knobs)
    return chunks


# --- /v1/completions ------------------------------------------------------------------------


def completion_body(
    knobs: LlamacppKnobs,
    frame: Frame,
    plan: Plan,
    timings: Timings | None,
    text: str | None = None,
) -> dict[str, Any]:
    """``text``: what the body says (a stream's final result: "" as it was all sent)."""
    finish = "length" if plan.finish_reason == "length" else "stop"
    text = "".join(plan.content) if text is None else text
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    body = frame.body([choice], "text_completion")
    body["usage"] = usage(knobs, plan)
    body["id"] = frame.id
    if timings is not None:
        body["timings"] = timings.to_json(knobs)
    return body


def completion_chunk(frame: Frame, text: str, finish: str | None) -> dict[str, Any]:
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
    body = frame.body([choice], "text_completion")
    body["id"] = frame.id
    return body

"""``/v1/responses`` by release: forwarded to the upstream (1.110) or bridged to a chat call
and converted back (1.74)."""

from __future__ import annotations

import base64
import codecs
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import httpx
import orjson

from fakes.http import sse
from fakes.litellm import _estimate, _response_events
from fakes.litellm._config import Deployment
from fakes.litellm._errors import CUT_MESSAGE
from fakes.litellm._stream import provider_model
from fakes.model import tokens
from fakes.profiles import LitellmKnobs, ModelField, UpstreamCut
from fakes.types import JSONObject


def _chat_tool(tool: Any) -> Any:
    """A Responses function tool as the chat tool it becomes."""
    if not isinstance(tool, dict) or tool.get("type") != "function" or "function" in tool:
        return tool
    function = {k: v for k, v in tool.items() if k != "type"}
    return {"type": "function", "function": function}


def none_content(body: JSONObject) -> bool:
    """An input message with ``content: null`` (an assistant turn with tool calls): 1.74's
    bridge fails on it with 'Invalid content type' (seen)."""
    given = body.get("input")
    return isinstance(given, list) and any(
        isinstance(item, dict) and "role" in item and item.get("content", "") is None
        for item in given
    )


def chat_request(body: JSONObject, upstream_model: str, *, drop_none: bool = False) -> JSONObject:
    """The chat request a Responses request becomes; ``drop_none``: an input message with
    content null is left out (1.80.17 transformation.py:684-688)."""
    messages: list[JSONObject] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list):
        for item in given:
            if drop_none and isinstance(item, dict) and item.get("content", "") is None:
                continue
            if isinstance(item, dict) and "role" in item:
                messages.append(
                    {"role": item["role"], "content": tokens.text_of(item.get("content"))}
                )
    chat: JSONObject = {"model": upstream_model, "messages": messages}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("temperature") is not None:
        chat["temperature"] = body["temperature"]
    if isinstance(body.get("tools"), list) and body["tools"]:
        chat["tools"] = [_chat_tool(tool) for tool in body["tools"]]
        if body.get("tool_choice") is not None:
            chat["tool_choice"] = body["tool_choice"]
    return chat


def response_id(deployment: Deployment, chat_id: str) -> str:
    raw = (
        f"litellm:custom_llm_provider:{deployment.provider};model_id:{deployment.model_id};"
        f"response_id:{chat_id}"
    )
    return "resp_" + base64.b64encode(raw.encode()).decode()


def _text_part(text: str | None, *, keep_null: bool = True) -> JSONObject:
    part: JSONObject = {"type": "output_text"}
    if text is not None or keep_null:
        part["text"] = text
    part["annotations"] = []
    return part


def mapped_status(finish: Any) -> str:
    """1.80's status for a finish reason (transformation.py:1090-1115 in 1.80.17)."""
    return "incomplete" if finish in ("length", "content_filter") else "completed"


def reasoning_id(knobs: LitellmKnobs, chat_id: str, text: str) -> str:
    """1.80 names a reasoning item f"rs_{hash(str(reasoning_content))}" (transformation.py:1283
    in 1.80.17): Python's string hash, random per process; 1.74 the chat id (seen)."""
    return f"rs_{hash(text)}" if knobs.bridge_reasoning_hash_id else f"{chat_id}_reasoning"


def function_call_item(knobs: LitellmKnobs, call: JSONObject) -> JSONObject:
    """openai's ResponseFunctionToolCall as the proxy dumps it, nulls included."""
    function = call.get("function") or {}
    values = {
        "arguments": function.get("arguments"),
        "call_id": call.get("id"),
        "name": function.get("name"),
        "type": "function_call",
        "id": call.get("id"),
        "status": "completed",
    }
    return {key: values.get(key) for key in knobs.bridge_function_call_keys}


def _output(
    knobs: LitellmKnobs,
    chat_id: str,
    finish: Any,
    text: str | None,
    reasoning: str | None = None,
    calls: list[JSONObject] | None = None,
    keep_null: bool = True,
) -> list[JSONObject]:
    """The bridge's items: a reasoning item when there was any, the message, then one
    function_call item per tool call (seen in the conformance recordings)."""
    status = mapped_status(finish) if knobs.bridge_mapped_status else finish
    items: list[JSONObject] = []
    if reasoning:
        items.append(
            {
                "type": "reasoning",
                "id": reasoning_id(knobs, chat_id, reasoning),
                "status": status,
                "role": "assistant",
                "content": [_text_part(reasoning)],
            }
        )
    items.append(
        {
            "type": "message",
            "id": chat_id,
            "status": status,
            "role": "assistant",
            "content": [_text_part(text, keep_null=keep_null)],
        }
    )
    items.extend(function_call_item(knobs, call) for call in calls or [])
    return items


# litellm's InputTokensDetails and OutputTokensDetails, the keys it copies when not null
# (1.80.17 types/llms/openai.py:1114-1127, transformation.py:1566-1611)
_INPUT_DETAIL_KEYS = ("audio_tokens", "cached_tokens", "text_tokens")
_OUTPUT_DETAIL_KEYS = ("reasoning_tokens", "text_tokens")


def _usage_details(knobs: LitellmKnobs, given: Any, keys: tuple[str, ...]) -> JSONObject | None:
    if not knobs.bridge_usage_details or not isinstance(given, dict):
        return None
    if all(given.get(key) is None for key in keys):
        return None
    return {key: given.get(key) for key in keys}


def responses_usage(knobs: LitellmKnobs, usage: JSONObject) -> JSONObject:
    """A chat usage as the bridge's ResponseAPIUsage, nulls included."""
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "input_tokens_details": _usage_details(
            knobs, usage.get("prompt_tokens_details"), _INPUT_DETAIL_KEYS
        ),
        "output_tokens": usage.get("completion_tokens", 0),
        "output_tokens_details": _usage_details(
            knobs, usage.get("completion_tokens_details"), _OUTPUT_DETAIL_KEYS
        ),
        "total_tokens": usage.get("total_tokens", 0),
    }


def bridged_body(knobs: LitellmKnobs, deployment: Deployment, chat: JSONObject) -> JSONObject:
    choice = (chat.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = chat.get("usage") or {}
    chat_id = str(chat.get("id", ""))
    finish = choice.get("finish_reason")
    bridged_usage = responses_usage(knobs, usage)
    if knobs.bridge_usage_cost:
        bridged_usage["cost"] = None
    return {
        "id": response_id(deployment, chat_id),
        "created_at": int(time.time()),
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": None,
        "model": provider_model(deployment),
        "object": "chat.completion",
        "output": _output(
            knobs,
            chat_id,
            finish,
            message.get("content"),
            message.get("reasoning_content") or message.get("reasoning"),
            message.get("tool_calls"),
        ),
        "parallel_tool_calls": False,
        "temperature": 0.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "max_output_tokens": None,
        "previous_response_id": None,
        "reasoning": {},
        "status": mapped_status(finish) if knobs.bridge_mapped_status else "completed",
        "text": {"format": None, "verbosity": None} if knobs.bridge_text_config else {},
        "truncation": None,
        "usage": bridged_usage,
        "user": None,
        "store": None,
    }


async def bridged_stream(
    knobs: LitellmKnobs,
    deployment: Deployment,
    response: httpx.Response,
    close: Callable[[], Any],
    prompt_estimate: int = 0,
) -> AsyncGenerator[bytes, None]:
    """Chat chunks become ``response.reasoning_summary_text.delta`` and
    ``response.output_text.delta`` events, then ``response.completed`` (1.74)."""
    chat_id, finish, model = "", None, None
    text: list[str] = []
    thought: list[str] = []
    calls: dict[int, JSONObject] = {}
    usage: JSONObject = {}
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            try:
                chunk = orjson.loads(line[5:].strip())
            except orjson.JSONDecodeError:
                continue
            if isinstance(chunk.get("error"), dict):  # as chat's, without the model group
                message = chunk["error"].get("message", "")
                error = {
                    "error": {
                        "message": f"{_MID_STREAM} - {message}",
                        "type": None,
                        "param": None,
                        "code": "503",
                    }
                }
                yield sse.event(sse.spaced(error))
                return
            chat_id = chunk.get("id", chat_id)
            if model is None:  # as 1.74 names its first chunk (provider's when it has usage)
                model = provider_model(deployment) if chunk.get("usage") else chunk.get("model")
            usage = chunk.get("usage") or usage
            if chunk.get("choices") or chunk.get("usage"):
                # stream_chunk_builder takes the last chunk's finish_reason, None as "stop"
                # (1.74.15 streaming_chunk_builder_utils.py:78-84), and 1.74 gives the usage
                # chunk a choice without one: a stream with usage always says "stop" (seen
                # with max_output_tokens, router-responses-litellm-1.74.15.post2.json)
                first = (chunk.get("choices") or [{}])[0]
                finish = first.get("finish_reason") if isinstance(first, dict) else None
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta") or {}
                for call in delta.get("tool_calls") or []:
                    _merge_call(calls, call)
                reasoning = delta.get("reasoning_content")
                if reasoning:
                    thought.append(reasoning)
                    yield sse.data(
                        {
                            "type": "response.reasoning_summary_text.delta",
                            "item_id": f"{chat_id}_reasoning",
                            "output_index": 0,
                            "delta": reasoning,
                        }
                    )
                piece = delta.get("content")
                if piece:
                    text.append(piece)
                    event = {
                        "type": "response.output_text.delta",
                        "item_id": chat_id,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": piece,
                    }
                    yield sse.data(event)
    except httpx.HTTPError:  # swallowed as in chat: the bridge sees a "stop" (seen: 1.74.15)
        finish = finish or "stop"
    finally:
        await close()
    if not usage:  # the proxy's own estimate, as for chat (seen: 14 and 1 for "Hello")
        completion = _estimate.count("".join(text))
        usage = {
            "prompt_tokens": prompt_estimate,
            "completion_tokens": completion,
            "total_tokens": prompt_estimate + completion,
        }
    status = "stop" if calls else finish or "stop"
    output = _output(
        knobs,
        chat_id,
        status,
        "".join(text) if text else None,
        "".join(thought),
        [calls[i] for i in sorted(calls)],
        keep_null=False,
    )
    completed = {
        "type": "response.completed",
        "response": {
            "id": chat_id,
            "created_at": int(time.time()),
            "metadata": {},
            "model": model if model is not None else deployment.model_name,
            "object": "chat.completion",
            "output": output,
            "parallel_tool_calls": False,
            "temperature": 0.0,
            "tool_choice": "auto",
            "tools": [],
            "reasoning": {},
            "status": "completed",
            "text": {},
            "usage": {
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        },
    }
    yield sse.data(completed)
    yield sse.DONE


_MID_STREAM = (
    "litellm.ServiceUnavailableError: litellm.MidStreamFallbackError: "
    "litellm.APIConnectionError: APIConnectionError: OpenAIException"
)


def _merge_call(calls: dict[int, JSONObject], delta: JSONObject) -> None:
    index = int(delta.get("index", 0) or 0)
    call = calls.setdefault(index, {"id": None, "function": {"name": None, "arguments": ""}})
    call["id"] = call["id"] or delta.get("id")
    function = delta.get("function") or {}
    call["function"]["name"] = call["function"]["name"] or function.get("name")
    call["function"]["arguments"] += function.get("arguments") or ""


# 1.110 reads a forwarded body into its ResponsesAPIResponse model: these keys first, in this
# order (nulls where the upstream has none), then the upstream's other keys as they came.
_RESPONSE_KEYS = (
    "id", "created_at", "error", "incomplete_details", "instructions", "metadata", "model",
    "object", "output", "parallel_tool_calls", "temperature", "tool_choice", "tools", "top_p",
    "max_output_tokens", "previous_response_id", "reasoning", "status", "text", "truncation",
    "usage", "user", "store",
)  # fmt: skip


def _details(given: Any, keys: tuple[str, ...]) -> JSONObject:
    known: JSONObject = given if isinstance(given, dict) else {}
    return {key: known.get(key) for key in keys} | known


_USAGE_KEYS = (
    "input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details",
    "total_tokens",
)  # fmt: skip


def _model_usage(knobs: LitellmKnobs, usage: Any) -> Any:
    """The usage model's fields in its order; details the upstream did not send stay null
    (seen: 1.110.2, Ollama's usage has none; vLLM's has both)."""
    if not isinstance(usage, dict):
        return usage
    out = {key: usage.get(key) for key in _USAGE_KEYS} | usage
    for key, keys in (
        ("input_tokens_details", knobs.responses_input_details),
        ("output_tokens_details", knobs.responses_output_details),
    ):
        if isinstance(usage.get(key), dict):
            out[key] = _details(usage[key], keys)
    out.setdefault("cost", None)
    return out


_TOOL_KEYS = ("name", "parameters", "strict", "type", "allowed_callers", "async", "defer_loading")


def _tool(knobs: LitellmKnobs, tool: Any) -> Any:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return tool
    if knobs.responses_tool_fields is not None:  # the declared fields, then the extras
        declared: JSONObject = {key: tool.get(key) for key in knobs.responses_tool_fields}
        return declared | {k: v for k, v in tool.items() if k not in declared}
    out: JSONObject = {key: tool.get(key) for key in _TOOL_KEYS}
    out |= {k: v for k, v in tool.items() if k not in out}
    out.setdefault("output_schema", None)
    return out


# openai's ResponseFunctionToolCall (openai 3.63.0 response_function_tool_call.py), as 1.110
# dumps an upstream's function_call item it validates (seen: Ollama's, which lacks the nulls)
_FUNCTION_CALL_KEYS = (
    "arguments", "call_id", "name", "type", "id", "async", "caller", "namespace", "status",
)  # fmt: skip


def _is_output_text(part: Any) -> bool:
    """A content part openai's ResponseOutputText accepts (its annotations are required)."""
    return (
        isinstance(part, dict)
        and part.get("type") == "output_text"
        and isinstance(part.get("annotations"), list)
        and isinstance(part.get("text"), str)
    )


def _output_item(item: Any) -> Any:
    if isinstance(item, dict) and item.get("type") == "message":
        # a message whose text parts openai's model rejects (Ollama's lack annotations) stays
        # as it came, without the model's phase (seen: 1.110.2)
        if not all(_is_output_text(part) for part in item.get("content") or []):
            return item
        return {**item, "phase": item.get("phase")}
    if isinstance(item, dict) and item.get("type") == "function_call":
        return {key: item.get(key) for key in _FUNCTION_CALL_KEYS} | item
    if isinstance(item, dict) and item.get("type") == "reasoning":
        # a reasoning item loses its nulls (encrypted_content, status; seen: vLLM 0.34)
        return {k: v for k, v in item.items() if v is not None}
    return item


def forwarded_body(knobs: LitellmKnobs, deployment: Deployment, upstream: JSONObject) -> JSONObject:
    """1.110 re-encodes the upstream's id, reports the alias, and re-shapes the body through
    its response model (seen in front of fake vLLM 0.24)."""
    body: JSONObject = {key: upstream.get(key) for key in _RESPONSE_KEYS}
    body |= {k: v for k, v in upstream.items() if k not in body}
    body["id"] = response_id(deployment, str(upstream.get("id", "")))
    body["model"] = deployment.model_name
    body["output"] = [_output_item(item) for item in upstream.get("output") or []]
    body["usage"] = _model_usage(knobs, upstream.get("usage"))
    if isinstance(upstream.get("tools"), list):
        body["tools"] = [_tool(knobs, tool) for tool in upstream["tools"]]
    return body


# 1.110 raises a positive max_output_tokens below 16 before forwarding (-1 passes: seen)
MIN_OUTPUT_TOKENS = 16


def forwarded_request(body: JSONObject, model: str) -> JSONObject:
    out = {**body, "model": model}
    limit = body.get("max_output_tokens")
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < MIN_OUTPUT_TOKENS:
        out["max_output_tokens"] = MIN_OUTPUT_TOKENS
    return out


class _Forwarded:
    """What a forwarded stream has shown so far: its response id, stamp and last number."""

    def __init__(self, deployment: Deployment, knobs: LitellmKnobs) -> None:
        self.deployment = deployment
        self.knobs = knobs
        self.response_id: str | None = None
        self.created_at: Any = None
        self.sequence = -1

    def reencode(self, block: str) -> bytes:
        fields = [line.partition(":")[::2] for line in block.split("\n")]
        names = [(name, value.strip()) for name, value in fields if name != "data"]
        payload = "".join(value.removeprefix(" ") for name, value in fields if name == "data")
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return block.encode() + b"\n\n"
        if not isinstance(data, dict):
            return block.encode() + b"\n\n"
        response = data.get("response")
        if isinstance(response, dict) and self.response_id is None:
            self.response_id = response_id(self.deployment, str(response.get("id", "")))
            self.created_at = response.get("created_at")
        if isinstance(data.get("sequence_number"), int):
            self.sequence = data["sequence_number"]
        rid = self.response_id or response_id(self.deployment, "")
        rename = self.knobs.responses_stream_model is ModelField.ALIAS
        out = _response_events.event(data, rid, self.deployment.model_name, rename_response=rename)
        if not self.knobs.responses_event_lines:
            # each event a typed model through the chat streams' generator: data: lines only
            # (1.90.7 proxy/proxy_server.py:7219-7225, 7254-7257)
            return sse.event(sse.compact(out))
        return sse.event(sse.compact(out), fields=names)

    def failed(self) -> bytes:
        """A cut after the stream began: response.failed under the response's own id, numbered
        next, without the event's model (seen: 1.110.2, vLLM 0.34 cut after four events)."""
        response: JSONObject = {
            "id": self.response_id,
            "created_at": self.created_at,
            "error": {"code": "server_error", "message": CUT_MESSAGE},
            "model": self.deployment.model_name,
            "object": "response",
            "output": [],
            "status": "failed",
        }
        if self.response_id is None:  # seen on 1.110 in front of vLLM 0.12, cut at once
            response = {
                "id": f"resp_{uuid.uuid4().hex}",
                "created_at": int(time.time()),
                "error": response["error"],
                "object": "response",
                "output": [],
                "status": "failed",
            }
        failed: JSONObject = {"type": "response.failed", "response": response}
        failed["sequence_number"] = self.sequence + 1
        return sse.event(sse.compact(failed), fields=[("event", "response.failed")])


async def opened_stream(response: httpx.Response) -> tuple[bool, AsyncIterator[bytes]]:
    """(whether the upstream sent anything before a cut, its bytes): 1.110 retries a stream
    cut before its first event, and says so in its headers."""
    chunks = response.aiter_raw()
    try:
        first = await anext(chunks)
    except (StopAsyncIteration, httpx.HTTPError):
        return False, _cut_at_once()

    async def rest() -> AsyncGenerator[bytes, None]:
        yield first
        async for chunk in chunks:
            yield chunk

    return True, rest()


async def _cut_at_once() -> AsyncGenerator[bytes, None]:
    raise httpx.RemoteProtocolError("cut before the first event")
    yield b""  # pragma: no cover - makes this a generator


async def forwarded_stream(
    deployment: Deployment,
    knobs: LitellmKnobs,
    chunks: AsyncIterator[bytes],
    close: Callable[[], Any],
) -> AsyncGenerator[bytes, None]:
    """Upstream Responses events re-encoded one by one as they arrive
    (``_response_events``); a cut becomes ``response.failed``."""
    seen = _Forwarded(deployment, knobs)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    buffer = ""
    try:
        async for chunk in chunks:
            buffer += decoder.decode(chunk)
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                if block.strip():
                    yield seen.reencode(block)
    except httpx.HTTPError:
        # a transport that swallows the cut ends the stream as if it were whole (1.90.7
        # llms/custom_httpx/aiohttp_transport.py:90-114; seen: vLLM 0.34 cut after four events)
        swallowed = knobs.upstream_cut is UpstreamCut.INVENTED_STOP
        if not swallowed or deployment.provider == "openai":  # the openai SDK's own client
            yield seen.failed()
    finally:
        await close()
    if not knobs.responses_event_lines:  # 1.90.7 proxy/proxy_server.py:7405-7410
        yield sse.DONE

"""Non-streaming bodies as the proxy writes them, and its own answers for mock models."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

from fakes.http import sse
from fakes.litellm._config import Deployment
from fakes.litellm._fast_chunk import encode
from fakes.litellm._stream import StreamContext, model_name, usage_body
from fakes.profiles import LitellmKnobs, UsageChunk
from fakes.types import JSONObject

MOCK_USAGE = {"completion_tokens": 20, "prompt_tokens": 10, "total_tokens": 30}
MOCK_PIECE = 3  # characters per streamed mock chunk
_STANDARD_CHOICE = ("index", "message", "logprobs", "finish_reason")
# litellm's Message fields (1.80.17 types/utils.py:1009-1021): any other key of an upstream
# message is provider-specific
_MESSAGE_FIELDS = (
    "content", "role", "tool_calls", "function_call", "audio", "images", "reasoning_content",
    "thinking_blocks", "provider_specific_fields", "annotations",
)  # fmt: skip
_KNOWN_TOP = {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
# 1.110 gives an Ollama answer an id of its own, the upstream's kept beside it
# (OllamaResponseIdNormalizer, llms/ollama/common_utils.py:32-67 in 1.110.2), whatever the
# provider: Ollama's ids (chatcmpl-<n>) repeat across requests
OLLAMA_FINGERPRINT = "fp_ollama"
# The vLLM choice keys 1.110 repeats on a choice (litellm 1.110.2 constants.py:705-707,
# VLLM_CHOICE_FIELDS); others (routed_experts, weight_versions) stay in provider_specific_fields
VLLM_CHOICE_FIELDS = ("stop_reason", "token_ids")
_COMPLETION_DETAILS = (
    "accepted_prediction_tokens", "audio_tokens", "reasoning_tokens",
    "rejected_prediction_tokens", "text_tokens",
)  # fmt: skip


def _tool_call(call: JSONObject) -> JSONObject:
    function = call.get("function") or {}
    # an upstream's "index" (SGLang, Ollama) stays, first (seen on 1.110.2 and 1.74.15)
    out: JSONObject = {"index": call["index"]} if "index" in call else {}
    return out | {
        "function": {"arguments": function.get("arguments", ""), "name": function.get("name")},
        "id": call.get("id"),
        "type": call.get("type", "function"),
    }


def _message(knobs: LitellmKnobs, message: JSONObject) -> JSONObject:
    calls = [_tool_call(c) for c in message.get("tool_calls") or []]
    content = message.get("content")
    role = message.get("role", "assistant")
    out: JSONObject
    if knobs.keep_null_fields:
        out = {"content": content, "role": role, "tool_calls": calls or None, "function_call": None}
    elif calls and content is None and knobs.message_null_content_last:
        out = {"role": role, "tool_calls": calls, "content": content}
    elif calls:  # a content "" keeps its place (seen on 1.110.2: SGLang, Ollama)
        out = {"content": content, "role": role, "tool_calls": calls}
    else:
        out = {"content": content, "role": role}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if reasoning:
        out["reasoning_content"] = reasoning
    if knobs.message_reasoning_extras and "reasoning" in message:
        extras = {"provider_specific_fields": {"reasoning": message["reasoning"]}}
        if calls and not knobs.keep_null_fields:  # 1.110: before the content of a tool call
            content_value = out.pop("content")
            out |= extras
            out["content"] = content_value
        else:
            out |= extras
    if knobs.message_reasoning_extras and "refusal" in message:
        if knobs.message_refusal_field:
            out["refusal"] = message["refusal"]
        else:
            fields = out.setdefault("provider_specific_fields", {})
            fields["refusal"] = message["refusal"]
    if knobs.message_reasoning_provider_field and reasoning:
        out.setdefault("provider_specific_fields", {})["reasoning_content"] = reasoning
    if knobs.message_nonnull_provider_fields:
        fields = {k: v for k, v in message.items() if k not in _MESSAGE_FIELDS and v is not None}
        if reasoning:
            fields["reasoning_content"] = reasoning
        if fields:  # set only when not empty (1.80.17 types/utils.py:1001-1006)
            out["provider_specific_fields"] = fields
    return out


def _usage(knobs: LitellmKnobs, usage: JSONObject | None) -> JSONObject:
    usage = usage or {}
    body: JSONObject = {
        "completion_tokens": int(usage.get("completion_tokens") or 0),
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "total_tokens": int(usage.get("total_tokens") or 0),
    }
    for key in ("completion_tokens_details", "prompt_tokens_details"):
        if knobs.keep_null_fields or usage.get(key) is not None:
            body[key] = usage.get(key)
    details = body.get("completion_tokens_details")
    if knobs.keep_null_fields and isinstance(details, dict):
        # 1.74 reads it into CompletionTokensDetailsWrapper (litellm 1.74.15.post2
        # types/utils.py:837-840, over openai's CompletionTokensDetails) and dumps its nulls
        wrapped = {key: details.get(key) for key in _COMPLETION_DETAILS}
        body["completion_tokens_details"] = wrapped | details
    if knobs.keep_null_fields:
        body["prompt_tokens_details"] = prompt_details(knobs, body.get("prompt_tokens_details"))
    return body


def prompt_details(knobs: LitellmKnobs, details: Any) -> Any:
    """An upstream's prompt_tokens_details as litellm's wrapper dumps it (a dict only)."""
    if not isinstance(details, dict):
        return details
    return {key: details.get(key) for key in knobs.prompt_details_keys} | details


def chat_body(knobs: LitellmKnobs, deployment: Deployment, upstream: JSONObject) -> JSONObject:
    """The proxy's non-streaming chat body for an upstream's body."""
    choices = []
    for choice in upstream.get("choices") or []:
        out: JSONObject = {
            "finish_reason": choice.get("finish_reason"),
            "index": choice.get("index", 0),
            "message": _message(knobs, choice.get("message") or {}),
        }
        # vLLM's own choice keys (stop_reason, token_ids...) land in provider_specific_fields,
        # {} when there are none (1.110.2 convert_dict_to_response.py:895, 1.74.15.post2
        # :585-600; seen with llama.cpp and Ollama upstreams)
        out["provider_specific_fields"] = {
            k: v for k, v in choice.items() if k not in _STANDARD_CHOICE
        }
        extras = out["provider_specific_fields"]
        if knobs.choice_passthrough:  # 1.110 repeats them on the choice, after logprobs
            # 1.109 has no VLLM_CHOICE_FIELDS: vLLM's keys stay in provider_specific_fields
            vllm = knobs.choice_vllm_fields
            if vllm and extras.get("stop_reason") is not None:  # ... unless a stop string hit
                out["stop_reason"] = extras["stop_reason"]
            for key in knobs.choice_passthrough:
                if key in choice:
                    out.setdefault(key, choice[key])
            for key, value in extras.items():
                if vllm and key in VLLM_CHOICE_FIELDS:
                    out.setdefault(key, value)
        if not knobs.choice_provider_fields:
            del out["provider_specific_fields"]
            nonnull = {k: v for k, v in extras.items() if v is not None}
            if knobs.choice_nonnull_provider_fields and nonnull:
                out["provider_specific_fields"] = nonnull
        choices.append(out)
    original = upstream.get("id")
    fingerprint = upstream.get("system_fingerprint")
    renamed = knobs.ollama_response_ids and fingerprint == OLLAMA_FINGERPRINT
    body: JSONObject = {
        "id": f"chatcmpl-{uuid.uuid4()}" if renamed or original is None else original,
        "created": int(time.time()),
        "model": model_name(knobs.response_model, deployment),
        "object": "chat.completion",
    }
    if knobs.keep_null_fields or fingerprint is not None:
        # 1.110: a fingerprint set from the upstream's body takes its declared place
        # (convert_dict_to_response.py:377-378 in 1.110.2, seen with vLLM 0.34)
        body["system_fingerprint"] = fingerprint
    body["choices"] = choices
    body["usage"] = _usage(knobs, upstream.get("usage"))
    if not knobs.keep_null_fields and "system_fingerprint" in upstream and fingerprint is None:
        body["system_fingerprint"] = None  # 1.110: a null one last (seen with vLLM 0.9)
    if knobs.keep_null_fields:
        # 1.74 dumps these nulls unless the upstream set them (SGLang's metadata)
        body |= {k: upstream.get(k) for k in ("metadata", "moderation", "service_tier")}
        body |= {k: v for k, v in upstream.items() if k not in _KNOWN_TOP and k not in body}
    else:
        # 1.110 keeps the upstream's other top-level keys (convert_dict_to_response.py:947-949
        # in 1.110.2) and drops the null ones when it dumps (SGLang's metadata, llama.cpp's
        # timings)
        body |= {k: v for k, v in upstream.items() if k not in _KNOWN_TOP and v is not None}
    if renamed:
        body["provider_specific_fields"] = {"original_response_id": original}
    return body


def mock_body(knobs: LitellmKnobs, deployment: Deployment, text: str) -> JSONObject:
    body: JSONObject = {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "created": int(time.time()),
        "model": model_name(knobs.response_model, deployment),
        "object": "chat.completion",
    }
    if knobs.keep_null_fields:
        body["system_fingerprint"] = None
    message = _message(knobs, {"content": text, "role": "assistant"})
    body["choices"] = [{"finish_reason": "stop", "index": 0, "message": message}]
    body["usage"] = _usage(knobs, MOCK_USAGE)
    return body


async def mock_stream(ctx: StreamContext, text: str) -> AsyncGenerator[bytes, None]:
    knobs, deployment = ctx.knobs, ctx.deployment
    ident = f"chatcmpl-{uuid.uuid4()}"
    model = model_name(knobs.response_model, deployment)

    def chunk(choices: list[JSONObject]) -> JSONObject:
        return {
            "id": ident,
            "created": ctx.created,
            "model": model,
            "object": "chat.completion.chunk",
            "choices": choices,
        }

    for start in range(0, len(text), MOCK_PIECE):
        delta: dict[str, Any] = {"content": text[start : start + MOCK_PIECE]}
        if start == 0:
            delta["role"] = "assistant"
        # the mock's chunks pass the proxy's fast serializer too (1.86 to 1.109)
        yield encode(chunk([{"index": 0, "delta": delta}]), knobs.chunk_fast_serializer)
    finish = chunk([{"finish_reason": "stop", "index": 0, "delta": {}}])
    yield encode(finish, knobs.chunk_fast_serializer)
    if ctx.include_usage:
        choices = (
            [] if knobs.usage_chunk is UsageChunk.EMPTY_CHOICES else [{"index": 0, "delta": {}}]
        )
        last = chunk(choices)
        last["usage"] = usage_body(knobs, MOCK_USAGE)
        yield sse.data(last)
    yield sse.DONE

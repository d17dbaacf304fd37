"""The ``/v1/responses`` body (and the ``response`` of the streamed envelope events) as each
release's ``ResponsesResponse.from_request`` dumps it: keys from the profile, in its order."""

from __future__ import annotations

from typing import Any

from fakes.profiles import Knobs, ResponsesEventResponse
from fakes.types import JSONObject
from fakes.vllm._plan import Plan
from fakes.vllm._requests import ResponsesRequest

# openai's own ``Response`` type, as the openai release next to vLLM 0.10.2-0.11.0 dumps it
# (those releases validate the envelope's dict through it; vllm asks for openai>=1.99.1, so a
# fresh install gets the newest openai: the keys below are what the recordings show)
_OPENAI_RESPONSE_KEYS = (
    "id", "access_programs", "created_at", "error", "incomplete_details", "instructions",
    "metadata", "model", "object", "output", "parallel_tool_calls", "temperature",
    "tool_choice", "tools", "top_p", "background", "completed_at", "conversation", "image",
    "input_transformations", "max_output_tokens", "max_tool_calls", "moderation",
    "previous_response_id", "prompt", "prompt_cache_diagnostics", "prompt_cache_key",
    "prompt_cache_options", "prompt_cache_retention", "reasoning", "safety_identifier",
    "service_tier", "status", "text", "tool_usage", "top_logprobs", "truncation", "usage",
    "user",
)  # fmt: skip


def tool_choice(knobs: Knobs, requested: Any, tools: list[Any] | None) -> Any:
    choice = "auto" if requested is None else requested
    if knobs.responses_tool_choice_none_without_tools and not tools and choice == "auto":
        return "none"  # check_tool_usage: no tools, "auto" becomes "none"
    return choice


def tools(knobs: Knobs, requested: list[dict[str, Any]] | None) -> list[Any]:
    """The request's tools as openai's FunctionTool dumps them (other tool types as sent)."""
    return [
        {key: tool.get(key) for key in knobs.responses_tool_keys}
        if tool.get("type") == "function"
        else tool
        for tool in requested or []
    ]


def reasoning_item(knobs: Knobs, id: str, text: str) -> JSONObject:
    if knobs.responses_reasoning_text:  # vLLM's own class (0.10.0 protocol.py:1680-1686)
        item: JSONObject = {"id": id, "text": text, "summary": [], "type": "reasoning"}
        return item | {"encrypted_content": None, "status": None}
    # ResponseReasoningItem field order; status stays null outside harmony
    return {
        "id": id,
        "summary": [],
        "type": "reasoning",
        "content": [{"text": text, "type": "reasoning_text"}],
        "encrypted_content": None,
        "status": None,
    }


def usage(knobs: Knobs, prompt: int, completion: int, reasoning: int) -> JSONObject:
    if knobs.responses_usage_chat:  # chat's UsageInfo, no prompt-cache details
        total = prompt + completion
        chat: JSONObject = {"prompt_tokens": prompt, "total_tokens": total}
        return chat | {"completion_tokens": completion, "prompt_tokens_details": None}
    values: dict[str, Any] = {
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        "reasoning_tokens": reasoning if knobs.responses_reasoning_tokens else 0,
        "tool_output_tokens": 0,
    }  # per-turn lists stay empty for a single, non-harmony turn
    return {
        "input_tokens": prompt,
        "input_tokens_details": {k: values.get(k, []) for k in knobs.responses_usage_input_keys},
        "output_tokens": completion,
        "output_tokens_details": {k: values.get(k, []) for k in knobs.responses_usage_output_keys},
        "total_tokens": prompt + completion,
    }


def body(knobs: Knobs, values: dict[str, Any]) -> JSONObject:
    """``values`` holds the request-dependent fields; every other key is null."""
    return {key: values.get(key) for key in knobs.responses_keys}


def event_response(knobs: Knobs, response: JSONObject) -> JSONObject:
    """The ``response`` of response.created / response.in_progress."""
    if knobs.responses_event_response is ResponsesEventResponse.BODY:
        return response
    # openai's Response: created_at is a float, fields it lacks are null, and (extra="allow")
    # the dumped dict's keys it does not know follow its own: 0.11.0's input_messages and
    # output_messages (0.11.0 serving_responses.py:1660-1680 validate final_response.model_dump())
    out = {key: response.get(key) for key in _OPENAI_RESPONSE_KEYS}
    out["created_at"] = float(response["created_at"])
    out.update({key: value for key, value in response.items() if key not in out})
    return out


def response_object(
    knobs: Knobs,
    response_id: str,
    created: int,
    model: str,
    typed: ResponsesRequest,
    plan: Plan,
    text: str,
    max_tokens: int,
    hex_id: str,
    reasoning_hex: str,
    *,
    reasoning: bool = True,
) -> dict[str, Any]:
    """ResponsesResponse.from_request, keys as the profile lists them."""
    length = plan.finish_reason == "length"
    output: list[Any] = []
    if reasoning and plan.reasoning and not plan.inline_reasoning:
        output.append(reasoning_item(knobs, f"rs_{reasoning_hex}", "".join(plan.reasoning)))
    if text:
        message: JSONObject = {
            "id": f"msg_{hex_id}",
            "content": [{"annotations": [], "text": text, "type": "output_text", "logprobs": None}],
            "role": "assistant",
            # 0.33+: response_item_status(finish_reason), as the streamed done item
            "status": "incomplete"
            if length and knobs.responses_done_item_status and knobs.responses_length_incomplete
            else "completed",
            "type": "message",
        }
        if knobs.responses_message_phase:  # an openai ResponseOutputMessage field vLLM never sets
            message["phase"] = None
        output.append(message)
    extra = typed.model_extra or {}
    incomplete = length and knobs.responses_length_incomplete
    return body(
        knobs,
        {
            "id": response_id,
            "created_at": created,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
            "instructions": typed.instructions,
            "model": model,
            "object": "response",
            "output": output,
            "parallel_tool_calls": True,
            "temperature": typed.temperature or 1.0,
            "tool_choice": tool_choice(knobs, extra.get("tool_choice"), typed.tools),
            "tools": tools(knobs, typed.tools),
            "top_p": typed.top_p or 1.0,
            "background": False,
            "max_output_tokens": max_tokens,
            "service_tier": "auto",
            "status": "incomplete" if incomplete else "completed",
            "top_logprobs": None if knobs.responses_top_logprobs_null else 0,
            "truncation": "disabled",
            "usage": usage(knobs, plan.prompt_tokens, plan.completion_tokens, len(plan.reasoning)),
            # the sampling params' values (SamplingParams defaults 0.0); before the request
            # had these fields (responses_penalties), nothing read them
            "presence_penalty": _penalty(knobs, typed, "presence_penalty"),
            "frequency_penalty": _penalty(knobs, typed, "frequency_penalty"),
        },
    )


def _penalty(knobs: Knobs, typed: Any, name: str) -> float:
    value = getattr(typed, name, None) if knobs.responses_penalties else None
    return float(value or 0.0)

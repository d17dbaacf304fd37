"""1.110's streamed ``/v1/responses`` events: each upstream event is read into litellm's event
model and written again with ``model_dump_json(exclude_none=True)``, the deployment's alias
added last (seen: 1.110.2 in front of vLLM 0.34, every event type vLLM streams).

A model writes its declared fields first, in declaration order, then the extra keys in the
order they came; ``exclude_none`` drops the nulls of models, never those inside plain dicts.
"""

from __future__ import annotations

from typing import Any

from fakes.types import JSONObject

# litellm 1.110.2 types/llms/openai.py:1795-1980, each event class's declared fields
_RESPONSE = ("type", "response")
_PART = ("type", "item_id", "output_index", "content_index", "part")
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "response.created": _RESPONSE,
    "response.in_progress": _RESPONSE,
    "response.completed": _RESPONSE,
    "response.failed": _RESPONSE,
    "response.incomplete": _RESPONSE,
    "response.output_item.added": ("type", "output_index", "item"),
    "response.output_item.done": ("type", "output_index", "sequence_number", "item"),
    "response.content_part.added": _PART,
    "response.content_part.done": _PART,
    "response.output_text.delta": ("type", "item_id", "output_index", "content_index", "delta"),
    "response.output_text.done": ("type", "item_id", "output_index", "content_index", "text"),
    "response.function_call_arguments.delta": ("type", "item_id", "output_index", "delta"),
    "response.function_call_arguments.done": ("type", "item_id", "output_index", "arguments"),
    "response.reasoning_summary_text.delta": (
        "type", "item_id", "output_index", "summary_index", "delta",
    ),
}  # fmt: skip
_GENERIC = ("type",)  # any other type (reasoning_text.delta ...): a generic event
# types/llms/openai.py:1900-1904, ContentPartDonePartOutputText
_OUTPUT_TEXT_PART = ("type", "text", "annotations", "logprobs")
# ResponsesAPIResponse's declared fields (the same model as a forwarded body)
RESPONSE_FIELDS = (
    "id", "created_at", "error", "incomplete_details", "instructions", "metadata", "model",
    "object", "output", "parallel_tool_calls", "temperature", "tool_choice", "tools", "top_p",
    "max_output_tokens", "previous_response_id", "reasoning", "status", "text", "truncation",
    "usage", "user", "store",
)  # fmt: skip
_TERMINAL = {"response.completed", "response.failed", "response.incomplete"}


def _model(data: JSONObject, declared: tuple[str, ...] = ()) -> JSONObject:
    """A model's dump: declared fields first, then the extras as they came, nulls dropped."""
    ordered = [key for key in declared if key in data]
    ordered += [key for key in data if key not in declared]
    return {key: data[key] for key in ordered if data[key] is not None}


def _items(value: Any) -> Any:
    """A list of typed objects (output items, their content parts, tools): nulls dropped."""
    if not isinstance(value, list):
        return value
    return [_model(item) if isinstance(item, dict) else item for item in value]


def _output_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = _model(item)
    if isinstance(out.get("content"), list):
        out["content"] = _items(out["content"])
    return out


def _typed_tool_choice(choice: Any) -> bool:
    """A tool_choice litellm's response model accepts: a chat-form named one
    ({"type": "function", "function": {...}}) fails it (seen: the response then stays as the
    upstream wrote it in response.created and .in_progress, and keeps its nested nulls)."""
    if not isinstance(choice, dict):
        return True
    return choice.get("type") != "function" or "name" in choice


def response_object(
    response: JSONObject, response_id: str, alias: str | None, *, terminal: bool
) -> JSONObject:
    """The ``response`` of a created/in_progress/terminal event: the alias replaces the
    upstream's model, and is not added where the upstream sent none (seen: 1.110.2, Ollama's
    events carry no model); None keeps the upstream's."""
    renamed = {**response, "id": response_id}
    if "model" in response and alias is not None:
        renamed["model"] = alias
    typed = _typed_tool_choice(response.get("tool_choice"))
    if not typed and not terminal:
        return renamed
    out = _model(renamed, RESPONSE_FIELDS)
    if typed:
        if "output" in out:
            out["output"] = [_output_item(item) for item in out["output"]]
        if "tools" in out:
            out["tools"] = _items(out["tools"])
    return out


def _part(event_type: str, part: Any) -> Any:
    if not isinstance(part, dict):
        return part
    # a text part without annotations fails the typed part and stays as it came (seen: 1.110.2,
    # Ollama's {"text", "type"})
    done_text = (
        event_type == "response.content_part.done"
        and part.get("type") == "output_text"
        and isinstance(part.get("annotations"), list)
    )
    return _model(part, _OUTPUT_TEXT_PART if done_text else ())


def event(
    data: JSONObject, response_id: str, alias: str, *, rename_response: bool = True
) -> JSONObject:
    """One upstream event as 1.110 writes it (``rename_response`` False: the response object
    keeps the upstream's model, as 1.90)."""
    kind = str(data.get("type"))
    out = _model(data, EVENT_FIELDS.get(kind, _GENERIC))
    if isinstance(out.get("response"), dict):
        terminal = kind in _TERMINAL
        named = alias if rename_response else None
        out["response"] = response_object(out["response"], response_id, named, terminal=terminal)
    if isinstance(out.get("item"), dict):
        out["item"] = _model(out["item"])
    if "part" in out:
        out["part"] = _part(kind, out["part"])
    out["model"] = alias
    return out

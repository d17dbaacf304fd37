"""1.80's bridged ``/v1/responses`` stream: the proxy's own chat stream for the upstream (usage
asked for) read back into Responses events, as litellm 1.80.17's
``responses/litellm_completion_transformation/streaming_iterator.py`` does.

Four opening events come before the first chunk is read (:279-294); each chunk gives at most
one delta (:406-472); at the end the chunks are built into one chat answer
(``stream_chunk_builder``), which gives the three ``.done`` events (:189-277) and
``response.completed`` (:488-525). Events are pydantic models written without their nulls.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import orjson

from fakes.http import sse
from fakes.litellm._config import Deployment
from fakes.litellm._response_events import RESPONSE_FIELDS
from fakes.litellm._responses import (
    function_call_item,
    mapped_status,
    reasoning_id,
    response_id,
    responses_usage,
)
from fakes.profiles import LitellmKnobs
from fakes.types import JSONObject

# the request keys _default_response_created_event_data copies when the client sent them
# (streaming_iterator.py:100-130)
_COPIED = ("instructions", "temperature", "text", "truncation", "user", "metadata")
# openai's FunctionTool (openai 3.63.0 types/responses/function_tool.py), a request tool typed
_TOOL_KEYS = (
    "name", "parameters", "strict", "type", "allowed_callers", "async", "defer_loading",
    "description", "output_schema",
)  # fmt: skip


def _without_nulls(value: JSONObject, order: tuple[str, ...] = ()) -> JSONObject:
    ordered = [key for key in order if key in value] + [k for k in value if k not in order]
    return {key: value[key] for key in ordered if value[key] is not None}


def _tool(tool: Any) -> Any:
    if isinstance(tool, dict) and tool.get("type") == "function" and "name" in tool:
        return _without_nulls(tool, _TOOL_KEYS)
    return tool


def tool_choice(given: Any) -> Any:
    """_transform_tool_choice (transformation.py:104-152 in 1.80.17), "auto" when none."""
    if isinstance(given, dict):
        function = given.get("function")
        if isinstance(function, dict) and function.get("name"):
            return given
        kind = given.get("type")
        if kind in ("auto", "none"):
            return kind
        if kind in ("required", "tool", "any", "function"):
            return "required"
    return given or "auto"


def opening_response(deployment: Deployment, body: JSONObject) -> JSONObject:
    """response.created's (and .in_progress') response: a fresh id each time, the request's
    own settings (streaming_iterator.py:83-131)."""
    data: JSONObject = {
        "id": response_id(deployment, f"resp_{uuid.uuid4()}"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "in_progress",
        "model": deployment.upstream_model,
        "output": [],
        "parallel_tool_calls": True,
        "reasoning": {},  # {"effort": None, "summary": None}, nulls dropped
        "store": True,
        "tool_choice": tool_choice(body.get("tool_choice")),
        "tools": [_tool(t) for t in body["tools"]] if isinstance(body.get("tools"), list) else [],
        "top_p": body["top_p"] if body.get("top_p") is not None else 1.0,
    }
    data |= {key: body[key] for key in _COPIED if body.get(key) is not None}
    return _without_nulls(data, RESPONSE_FIELDS)


def _message_id() -> str:
    return f"msg_{uuid.uuid4()}"


def opening(deployment: Deployment, body: JSONObject) -> list[JSONObject]:
    return [
        {"type": "response.created", "response": opening_response(deployment, body)},
        {"type": "response.in_progress", "response": opening_response(deployment, body)},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "id": _message_id(),
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
        },
        {
            "type": "response.content_part.added",
            "item_id": _message_id(),
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]


def delta_event(chunk: JSONObject) -> JSONObject | None:
    """A chunk's reasoning (first) or text as one delta event (streaming_iterator.py:440-464);
    a chunk without choices gives none."""
    choices = chunk.get("choices") or []
    delta = (choices[0].get("delta") or {}) if choices else {}
    reasoning = delta.get("reasoning_content")
    if reasoning:
        return {
            "type": "response.reasoning_summary_text.delta",
            "item_id": f"rs_{hash(str(reasoning))}",
            "output_index": 0,
            "delta": reasoning,
        }
    if delta.get("content"):
        return {
            "type": "response.output_text.delta",
            "item_id": chunk.get("id"),
            "output_index": 0,
            "content_index": 0,
            "delta": delta["content"],
        }
    return None


class Built:
    """stream_chunk_builder's one answer from the chunks (litellm 1.80.17 main.py:7060-7217,
    streaming_chunk_builder_utils.py:61-133)."""

    def __init__(self, chunks: list[JSONObject]) -> None:
        first = chunks[0]
        self.id = next((str(c["id"]) for c in chunks if c.get("id")), "")
        self.created = first.get("created")
        # a model that differs from the first chunk's wins (the provider's, on the finish)
        self.model = next(
            (c["model"] for c in chunks if c.get("model") and c["model"] != first.get("model")),
            first.get("model"),
        )
        with_choices = [c["choices"][0] for c in chunks if c.get("choices")]
        self.role = (with_choices[0].get("delta") or {}).get("role") if with_choices else None
        # the last chunk with a choice decides, None included (1.80's usage chunk has one)
        self.finish = with_choices[-1].get("finish_reason") if with_choices else "stop"
        deltas = [choice.get("delta") or {} for choice in with_choices]
        texts = [d["content"] for d in deltas if d.get("content") is not None]
        self.content: str | None = "".join(texts)
        thoughts = [d["reasoning_content"] for d in deltas if d.get("reasoning_content")]
        self.reasoning = "".join(thoughts) if thoughts else None
        self.calls: dict[int, JSONObject] = {}
        for delta in deltas:
            for call in delta.get("tool_calls") or []:
                self._merge(call)
        if self.calls:
            self.content = None
        usage = next((c["usage"] for c in reversed(chunks) if c.get("usage")), None)
        self.usage: JSONObject = usage if isinstance(usage, dict) else {}

    def _merge(self, delta: JSONObject) -> None:
        index = int(delta.get("index", 0) or 0)
        call = self.calls.setdefault(index, {"id": None, "function": {"arguments": ""}})
        call["id"] = call["id"] or delta.get("id")
        function = delta.get("function") or {}
        if function.get("name"):
            call["function"]["name"] = function["name"]
        call["function"]["arguments"] += function.get("arguments") or ""

    def output(self, knobs: LitellmKnobs) -> list[JSONObject]:
        """transformation.py:1234-1270: reasoning, message, function calls; nulls dropped."""
        status = mapped_status(self.finish)
        items: list[JSONObject] = []
        if self.reasoning:
            items.append(
                {
                    "type": "reasoning",
                    "id": reasoning_id(knobs, self.id, self.reasoning),
                    "status": status,
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": self.reasoning, "annotations": []}],
                }
            )
        text_part = _without_nulls({"type": "output_text", "text": self.content})
        items.append(
            {
                "type": "message",
                "id": self.id,
                "status": status,
                "role": self.role or "assistant",
                "content": [{**text_part, "annotations": []}],
            }
        )
        for index in sorted(self.calls):
            items.append(_without_nulls(function_call_item(knobs, self.calls[index])))
        return items


def closing(knobs: LitellmKnobs, deployment: Deployment, built: Built) -> list[JSONObject]:
    text = built.content or ""
    if built.reasoning:  # the part says reasoning when there was any (streaming_iterator:210)
        part: JSONObject = {"type": "reasoning_text", "reasoning": built.reasoning}
    else:
        part = {"type": "output_text", "text": text, "annotations": []}
    usage = _without_nulls(responses_usage(knobs, built.usage))
    for key in ("input_tokens_details", "output_tokens_details"):
        if isinstance(usage.get(key), dict):
            usage[key] = _without_nulls(usage[key])
    completed: JSONObject = {
        "id": response_id(deployment, built.id),
        "created_at": built.created,
        "metadata": {},
        "model": built.model,
        "object": "chat.completion",
        "output": built.output(knobs),
        "parallel_tool_calls": False,
        "temperature": 0.0,
        "tool_choice": "auto",
        "tools": [],
        "reasoning": {},
        "status": mapped_status(built.finish),
        "text": {},
        "usage": usage,
    }
    return [
        {
            "type": "response.output_text.done",
            "item_id": _message_id(),
            "output_index": 0,
            "content_index": 0,
            "text": text,
        },
        {
            "type": "response.content_part.done",
            "item_id": _message_id(),
            "output_index": 0,
            "content_index": 0,
            "part": part,
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "sequence_number": 1,
            "item": {
                "id": _message_id(),
                "status": "completed",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            },
        },
        {"type": "response.completed", "response": completed},
    ]


def _payload(event: bytes) -> bytes | None:
    """The data of one event the chat stream wrote (one event a piece)."""
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            return line[5:].strip()
    return None


async def bridged_events(
    knobs: LitellmKnobs,
    deployment: Deployment,
    body: JSONObject,
    chat: AsyncGenerator[bytes, None],
) -> AsyncGenerator[bytes, None]:
    """The Responses events for the proxy's chat stream ``chat`` (``relay``'s bytes). An error
    frame passes on as the chat stream wrote it, and ends the stream."""
    for event in opening(deployment, body):
        yield sse.data(event)
    chunks: list[JSONObject] = []
    try:
        async for written in chat:
            payload = _payload(written)
            if payload is None:
                continue
            if payload == b"[DONE]":
                break
            data = orjson.loads(payload)
            if isinstance(data, dict) and "error" in data:
                yield written
                return
            chunks.append(data)
            found = delta_event(data)
            if found is not None:
                yield sse.data(found)
    finally:
        await chat.aclose()  # the chat stream closes the upstream
    if not chunks:  # nothing to build an answer from: the iterator stops (:316-320)
        return
    for event in closing(knobs, deployment, Built(chunks)):
        yield sse.data(event)
    yield sse.DONE

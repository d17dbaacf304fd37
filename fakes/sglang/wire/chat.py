"""/v1/chat/completions as SGLang writes it: the plain body and the stream's chunks, built
from a plan's steps the way serving_chat.py (0.5) or openai_api/adapter.py (0.4) walks them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from fakes.profiles._sglang import ChunkWriter, SglangKnobs, StreamFinish
from fakes.sglang._plan import Plan, ToolCall
from fakes.types import JSONObject

DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Frame:
    """What every chunk of one answer shares."""

    id: str
    created: int
    model: str


def usage(knobs: SglangKnobs, prompt: int, completion: int) -> JSONObject:
    every = {
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens": completion,
        "prompt_tokens_details": None,
        "reasoning_tokens": 0,
        "completion_tokens_details": None,
    }
    return {key: every[key] for key in knobs.usage_keys}


def _tool_call(call: ToolCall, index: int, call_id: str) -> JSONObject:
    """One parsed call of a plain body (json.dumps of the arguments the parser read)."""
    arguments = json.dumps(json.loads(call.arguments), ensure_ascii=False)
    return {
        "id": call_id,
        "index": index,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def body(
    knobs: SglangKnobs, frame: Frame, plan: Plan, tool_ids: list[str], *, tool_parser: bool
) -> JSONObject:
    """The non-streaming ChatCompletionResponse."""
    text = "".join(plan.content)
    reasoning = "".join(plan.reasoning) or None
    if plan.reasoning and not plan.reasoning_parsed:
        text = "<think>" + "".join(plan.reasoning) + "</think>" + text
        reasoning = None
    message: JSONObject = {
        "role": "assistant",
        "content": text if text else knobs.empty_content,
        "reasoning_content": reasoning,
    }
    calls = [
        _tool_call(c, -1 if knobs.plain_tool_call_index_unset else i, tool_ids[i])
        for i, c in enumerate(plan.tool_calls)
    ]
    if calls:
        message["tool_calls"] = calls
    elif knobs.message_tool_calls_null:
        message["tool_calls"] = None
    finish = "tool_calls" if calls and plan.finish == "stop" else plan.finish
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": finish,
        "matched_stop": None if calls else plan.matched,
    }
    answer: JSONObject = {
        "id": frame.id,
        "object": "chat.completion",
        "created": frame.created,
        "model": frame.model,
        "choices": [choice],
        "usage": usage(knobs, plan.prompt_tokens, plan.completion_tokens),
    }
    if knobs.response_metadata:
        answer["metadata"] = {"weight_version": "default"}
    return answer


# --- the stream -----------------------------------------------------------------------------


def _pydantic_delta(**fields: Any) -> JSONObject:
    delta: JSONObject = {"role": None, "content": None, "reasoning_content": None}
    delta.update(fields)
    delta.setdefault("tool_calls", None)
    return {k: delta[k] for k in ("role", "content", "reasoning_content", "tool_calls")}


def _msgspec_delta(**fields: Any) -> JSONObject:
    delta: JSONObject = {"reasoning_content": fields.get("reasoning_content")}
    for key in ("role", "content"):
        if fields.get(key) is not None:
            delta[key] = fields[key]
    return delta


def _chunk(
    knobs: SglangKnobs,
    frame: Frame,
    delta: JSONObject,
    *,
    finish: str | None = None,
    matched: int | str | None = None,
    usage_value: JSONObject | None = None,
    writer: ChunkWriter | None = None,
) -> bytes:
    choice = {
        "index": 0,
        "delta": delta,
        "logprobs": None,
        "finish_reason": finish,
        "matched_stop": matched,
    }
    chunk: JSONObject = {
        "id": frame.id,
        "object": "chat.completion.chunk",
        "created": frame.created,
        "model": frame.model,
        "choices": [choice],
    }
    if (writer or knobs.chunk_writer) is ChunkWriter.PYDANTIC or usage_value is not None:
        chunk["usage"] = usage_value
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def _delta(knobs: SglangKnobs, **fields: Any) -> JSONObject:
    if knobs.chunk_writer is ChunkWriter.PYDANTIC:
        return _pydantic_delta(**fields)
    return _msgspec_delta(**fields)


def usage_chunk(knobs: SglangKnobs, frame: Frame, plan: Plan) -> bytes:
    chunk = {
        "id": frame.id,
        "object": "chat.completion.chunk",
        "created": frame.created,
        "model": frame.model,
        "choices": [],
        "usage": usage(knobs, plan.prompt_tokens, plan.completion_tokens),
    }
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def _steps(plan: Plan) -> Iterator[tuple[str, str]]:
    """(kind, text) per engine step: reasoning pieces, answer pieces; tags show nothing."""
    if plan.reasoning:
        if plan.reasoning_parsed:
            yield "tag", ""
            for piece in plan.reasoning:
                yield "reasoning", piece
            yield "tag", ""
        else:
            yield "content", "<think>"
            for piece in plan.reasoning:
                yield "content", piece
            yield "content", "</think>"
    for piece in plan.content:
        yield "content", piece


def stream(
    knobs: SglangKnobs,
    frame: Frame,
    plan: Plan,
    tool_ids: list[str],
    *,
    include_usage: bool,
    continuous: bool,
) -> list[bytes]:
    """Every event of the stream but [DONE], in order."""
    continuous = continuous and knobs.continuous_usage_stats
    if knobs.stream_finish is StreamFinish.ON_STEP_AND_FINAL:
        return _stream_v04(knobs, frame, plan, tool_ids, include_usage=include_usage)
    events = [
        _chunk(knobs, frame, _delta(knobs, role="assistant", content=knobs.role_chunk_content))
    ]
    produced = 0
    for kind, piece in _steps(plan):
        produced += 1
        if not piece:
            continue
        running = usage(knobs, plan.prompt_tokens, produced) if continuous else None
        field = "reasoning_content" if kind == "reasoning" else "content"
        events.append(_chunk(knobs, frame, _delta(knobs, **{field: piece}), usage_value=running))
    for index, call in enumerate(plan.tool_calls):
        events.extend(_tool_chunks(knobs, frame, call, index, tool_ids[index]))
    finish = "tool_calls" if plan.tool_calls and plan.finish == "stop" else plan.finish
    matched = plan.matched
    events.append(_chunk(knobs, frame, _delta(knobs), finish=finish, matched=matched))
    if include_usage:
        events.append(usage_chunk(knobs, frame, plan))
    return events


def argument_fragments(arguments: str) -> list[str]:
    """How the qwen25 detector streams one call's arguments (partial JSON, token by token):
    up to the opening quote of the first string value, then the rest once it is whole. The
    reference harness showed it on 0.5.23 for one string argument; other shapes are a guess
    (whole)."""
    opening = arguments.find('": "')
    if arguments.startswith('{"') and opening > 0:
        cut = opening + len('": "')
        return [arguments[:cut], arguments[cut:]]
    return [arguments]


def _tool_chunks(
    knobs: SglangKnobs, frame: Frame, call: ToolCall, index: int, call_id: str
) -> list[bytes]:
    """The parser's header delta (id, name, empty arguments), then the argument fragments;
    these chunks are pydantic-dumped in every release (every key, "usage": null)."""
    first = {
        "id": call_id,
        "index": index,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    deltas = [first] + [
        {"id": None, "index": index, "type": "function", "function": {"name": None, "arguments": a}}
        for a in argument_fragments(call.arguments)
    ]
    return [
        _chunk(knobs, frame, _pydantic_delta(tool_calls=[d]), writer=ChunkWriter.PYDANTIC)
        for d in deltas
    ]


def _stream_v04(
    knobs: SglangKnobs, frame: Frame, plan: Plan, tool_ids: list[str], *, include_usage: bool
) -> list[bytes]:
    """adapter.py's generate_stream_resp: the role chunk, one chunk per step (the EOS step's
    too, with the finish, unless include_usage), then the final chunk with usage or null."""
    steps = list(_steps(plan))
    last_finish = plan.finish
    events = [
        _chunk(knobs, frame, _delta(knobs, role="assistant", content=knobs.role_chunk_content))
    ]
    # the tool-parser path (adapter.py:1590-1666) writes no chunk for the EOS step's empty text
    eos = [] if plan.tool_calls else [("eos", "")]
    for kind, piece in [*steps, *eos]:
        finish = last_finish if kind == "eos" else None
        if not piece and include_usage:
            continue
        field = "reasoning_content" if kind == "reasoning" else "content"
        events.append(
            _chunk(
                knobs,
                frame,
                _delta(knobs, **{field: piece or None}),
                finish=None if include_usage else finish,
                matched=plan.matched if finish else None,
            )
        )
    for index, call in enumerate(plan.tool_calls):
        events.extend(_tool_chunks(knobs, frame, call, index, tool_ids[index]))
    final_usage = (
        usage(knobs, plan.prompt_tokens, plan.completion_tokens) if include_usage else None
    )
    finish = "tool_calls" if plan.tool_calls and last_finish == "stop" else last_finish
    events.append(_chunk(knobs, frame, _delta(knobs), finish=finish, usage_value=final_usage))
    return events

"""POST /v1/responses (0.13.3 openai/responses.go): ToResponse and the stream converter. The
events are Go maps, so json.Marshal writes their keys sorted."""

from __future__ import annotations

from typing import Any

from fakes.ollama._gojson import dumps, encode
from fakes.ollama._reply import Generation


def response_body(
    gen: Generation, *, response_id: str, item_id: str, model: str, created: int
) -> bytes:
    output: list[dict[str, Any]] = []
    if gen.tool_calls:
        for position, call in enumerate(gen.tool_calls):
            output.append(
                {
                    "id": f"fc_{response_id}_{position}",
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments_json,
                }
            )
    else:
        output.append(
            {
                "id": item_id,
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": gen.text}],
            }
        )
    return encode(
        {
            "id": response_id,
            "object": "response",
            "created_at": created,
            "status": "completed",
            "model": model,
            "output": output,
            "usage": _usage(gen),
        }
    )


def _usage(gen: Generation) -> dict[str, int]:
    return {
        "input_tokens": gen.prompt_eval_count,
        "output_tokens": gen.eval_count,
        "total_tokens": gen.prompt_eval_count + gen.eval_count,
    }


def response_events(
    gen: Generation, *, response_id: str, item_id: str, call_numbers: list[int]
) -> list[bytes]:
    """Text pieces (or whole tool calls) through ResponsesStreamConverter.Process; a streamed
    call's item id is fc_<rand.Intn(999999)>_<i> (:803), not the body's fc_<response id>_<i>."""
    events: list[tuple[str, dict[str, Any]]] = []
    shell = {"id": response_id, "object": "response", "status": "in_progress", "output": []}
    events.append(("response.created", {"response": shell}))
    events.append(("response.in_progress", {"response": dict(shell)}))
    final_output: list[Any] = []
    if gen.tool_calls:
        for position, call in enumerate(gen.tool_calls):
            item = {
                "id": f"fc_{call_numbers[position]}_{position}",
                "type": "function_call",
                "status": "completed",
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments_json,
            }
            added = {**item, "status": "in_progress", "arguments": ""}
            events.append(("response.output_item.added", {"output_index": position, "item": added}))
            events.append(
                (
                    "response.function_call_arguments.delta",
                    {"item_id": item["id"], "output_index": position, "delta": call.arguments_json},
                )
            )
            events.append(
                (
                    "response.function_call_arguments.done",
                    {
                        "item_id": item["id"],
                        "output_index": position,
                        "arguments": call.arguments_json,
                    },
                )
            )
            events.append(("response.output_item.done", {"output_index": position, "item": item}))
            final_output.append(item)
    elif gen.pieces:
        events.append(
            (
                "response.output_item.added",
                {
                    "output_index": 0,
                    "item": {
                        "id": item_id,
                        "type": "message",
                        "status": "in_progress",
                        "role": "assistant",
                        "content": [],
                    },
                },
            )
        )
        events.append(
            (
                "response.content_part.added",
                {
                    "item_id": item_id,
                    "output_index": 0,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": ""},
                },
            )
        )
        for piece in gen.pieces:
            events.append(
                (
                    "response.output_text.delta",
                    {"item_id": item_id, "output_index": 0, "content_index": 0, "delta": piece},
                )
            )
        text = gen.text
        part = {"type": "output_text", "text": text}
        events.append(
            (
                "response.output_text.done",
                {"item_id": item_id, "output_index": 0, "content_index": 0, "text": text},
            )
        )
        events.append(
            (
                "response.content_part.done",
                {"item_id": item_id, "output_index": 0, "content_index": 0, "part": part},
            )
        )
        message = {
            "id": item_id,
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [part],
        }
        events.append(("response.output_item.done", {"output_index": 0, "item": message}))
        final_output.append(message)
    completed = {
        "id": response_id,
        "object": "response",
        "status": "completed",
        "output": final_output,
        "usage": _usage(gen),
    }
    events.append(("response.completed", {"response": completed}))
    frames = []
    for number, (kind, data) in enumerate(events):
        payload = {**data, "type": kind, "sequence_number": number}
        frames.append(f"event: {kind}\ndata: {dumps(payload, sort_keys=True)}\n\n".encode())
    return frames

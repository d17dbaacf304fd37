"""``/v1/responses`` streaming for a plain (non-harmony) model, as each release's
``_process_simple_streaming_events`` writes it: ``event:`` lines, a sequence number on every
event, payload keys in the order of the openai types' ``model_dump_json``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson

from fakes import sse
from fakes.profiles import Knobs, ResponsesEventResponse, ResponsesItemId, ResponsesStream
from fakes.types import JSONObject
from fakes.vllm._responses_body import event_response


def item_id(knobs: Knobs, new_hex: Callable[[], str]) -> str:
    if knobs.responses_item_id is ResponsesItemId.UUID:
        return str(uuid.uuid4())
    if knobs.responses_item_id is ResponsesItemId.HEX:
        return new_hex()
    return "msg_" + new_hex()


def _message(id: str, content: list[JSONObject], status: str) -> JSONObject:
    # ResponseOutputMessage field order; "phase" is an openai field vLLM never sets
    return {
        "id": id,
        "content": content,
        "role": "assistant",
        "status": status,
        "type": "message",
        "phase": None,
    }


def _text_part(text: str, logprobs: list[Any] | None) -> JSONObject:
    return {"annotations": [], "text": text, "type": "output_text", "logprobs": logprobs}


class _Events:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def add(self, type: str, payload: JSONObject) -> None:
        # the openai types order fields by name: sequence_number goes wherever the payload
        # placed it (before "text"), else after the rest; "type" comes last
        data = {**payload, "sequence_number": len(self.out), "type": type}
        self.out.append(sse.event(orjson.dumps(data), fields=[("event", type)]))


def stream_events(
    knobs: Knobs,
    final: JSONObject,
    steps: list[str],
    *,
    length_finish: bool,
    message_id: str,
) -> list[bytes]:
    """The events of one stream. ``steps`` are the engine's text deltas, the EOS step's ""
    included; ``final`` is the completed response body."""
    style = knobs.responses_stream
    events = _Events()
    in_progress = {**final, "status": "in_progress", "output": [], "usage": None}
    if "incomplete_details" in in_progress:
        in_progress["incomplete_details"] = None
    in_progress = event_response(knobs, in_progress)
    events.add("response.created", {"response": in_progress})
    events.add("response.in_progress", {"response": in_progress})
    sent = steps if style is ResponsesStream.EVERY_DELTA else [s for s in steps if s]
    opened = bool(steps) if style is not ResponsesStream.STATE_MACHINE else bool(sent)
    text = "".join(steps)
    index = 0
    done_item: JSONObject | None = None
    if opened:
        events.add(
            "response.output_item.added",
            {"item": _message(message_id, [], "in_progress"), "output_index": 0},
        )
        events.add(
            "response.content_part.added",
            {
                "content_index": index,
                "item_id": message_id,
                "output_index": 0,
                "part": _text_part("", []),
            },
        )
        if style is ResponsesStream.EVERY_DELTA:
            index += 1  # current_content_index += 1 after the part, and after every delta
        for piece in sent:
            events.add(
                "response.output_text.delta",
                {
                    "content_index": index,
                    "delta": piece,
                    "item_id": message_id,
                    "logprobs": [],
                    "output_index": 0,
                },
            )
            if style is ResponsesStream.EVERY_DELTA:
                index += 1
        # 0.18-0.20 close the item only when the last delta had text (``elif ....content:``)
        closes = style is not ResponsesStream.SKIP_EMPTY or bool(steps[-1])
        if closes:
            events.add(
                "response.output_text.done",
                {
                    "content_index": index,
                    "item_id": message_id,
                    "logprobs": [],
                    "output_index": 0,
                    "sequence_number": None,
                    "text": text,
                },
            )
            if style is ResponsesStream.EVERY_DELTA:
                index += 1
            part = _text_part(text, None)
            events.add(
                "response.content_part.done",
                {"content_index": index, "item_id": message_id, "output_index": 0, "part": part},
            )
            status = (
                "incomplete" if length_finish and knobs.responses_done_item_status else "completed"
            )
            done_item = _message(message_id, [part], status)
            if knobs.responses_done_item_summary:
                done_item["summary"] = []
            events.add("response.output_item.done", {"item": done_item, "output_index": 0})
    if knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE:
        return events.out  # response.completed fails openai's validation: no more events
    if knobs.responses_completed_reuses_items:
        final = {**final, "output": [done_item] if done_item is not None else []}
    events.add("response.completed", {"response": final})
    return events.out

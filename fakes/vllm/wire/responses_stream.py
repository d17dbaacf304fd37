"""``/v1/responses`` streaming for a plain (non-harmony) model, as each release's
``_process_simple_streaming_events`` writes it: ``event:`` lines, a sequence number on every
event, payload keys in the order of the openai types' ``model_dump_json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from fakes.http import sse
from fakes.profiles import Knobs, ResponsesEventResponse, ResponsesItemId, ResponsesStream
from fakes.types import JSONObject
from fakes.vllm._plan import Plan
from fakes.vllm.wire.responses import event_response


def item_id(knobs: Knobs, new_hex: Callable[[], str], new_uuid: Callable[[], str]) -> str:
    """``new_uuid``: ``str(uuid.uuid4())`` (the fake's state holds the source, as for hexes)."""
    if knobs.responses_item_id is ResponsesItemId.UUID:
        return new_uuid()
    if knobs.responses_item_id is ResponsesItemId.HEX:
        return new_hex()
    return "msg_" + new_hex()


def message_item_id(
    knobs: Knobs,
    new_hex: Callable[[], str],
    new_uuid: Callable[[], str],
    *,
    after_reasoning: bool,
) -> str:
    # 0.18-0.20 open the first item with random_uuid() but the message after a reasoning item
    # with str(uuid.uuid4())
    if after_reasoning and knobs.responses_message_after_reasoning_uuid:
        return new_uuid()
    return item_id(knobs, new_hex, new_uuid)


def reasoning_item_id(knobs: Knobs, new_hex: Callable[[], str], new_uuid: Callable[[], str]) -> str:
    # the message item's id scheme; 0.32+ prefix "rs_" where the message has "msg_"
    if knobs.responses_item_id is ResponsesItemId.MSG_HEX:
        return "rs_" + new_hex()
    return item_id(knobs, new_hex, new_uuid)


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


def _reasoning_item(id: str, text: str | None, status: str) -> JSONObject:
    content = None if text is None else [{"text": text, "type": "reasoning_text"}]
    return {
        "id": id,
        "summary": [],
        "type": "reasoning",
        "content": content,
        "encrypted_content": None,
        "status": status,
    }


def _reasoning_events(
    events: _Events, knobs: Knobs, reasoning: list[str], id: str, *, closes: bool
) -> None:
    """The reasoning item at output_index 0, as a reasoning parser's deltas stream it
    (0.12.0 serving_responses.py:1226-1370; 0.18.0 responses/serving.py:1370-1397, 1464-1506,
    1697-1745; 0.34.0 responses/streaming_events.py:961-1040)."""
    every_delta = knobs.responses_stream is ResponsesStream.EVERY_DELTA
    part_events = "content_part" if every_delta else knobs.responses_reasoning_part_events
    events.add(
        "response.output_item.added",
        {"item": _reasoning_item(id, None, "in_progress"), "output_index": 0},
    )
    # 0.10.2-0.17 open it with an output_text part and count every delta; 0.18+ a
    # reasoning_text part, content_index 0 throughout
    part: JSONObject = _text_part("", []) if every_delta else {"text": "", "type": "reasoning_text"}
    events.add(
        f"response.{part_events}.added",
        {"content_index": 0, "item_id": id, "output_index": 0, "part": part},
    )
    index = 1 if every_delta else 0
    for piece in reasoning:
        events.add(
            "response.reasoning_text.delta",
            {"content_index": index, "delta": piece, "item_id": id, "output_index": 0},
        )
        index += 1 if every_delta else 0
    if not closes:
        return
    text = "".join(reasoning)
    events.add(
        "response.reasoning_text.done",
        {
            "content_index": index,
            "item_id": id,
            "output_index": 0,
            "sequence_number": None,
            "text": text,
        },
    )
    if not every_delta:
        events.add(
            f"response.{part_events}.done",
            {
                "content_index": 0,
                "item_id": id,
                "output_index": 0,
                "part": {"text": text, "type": "reasoning_text"},
            },
        )
    events.add(
        "response.output_item.done",
        {"item": _reasoning_item(id, text, "completed"), "output_index": 0},
    )


def engine_steps(knobs: Knobs, plan: Plan, tool_parser: bool) -> tuple[list[str], list[str], bool]:
    """A plan's streamed text steps, its reasoning deltas, and whether it finished for length.
    The engine's last step is a real token on a length finish, else EOS with empty text, which
    0.19-0.20's tool parser (on with auto tool choice) turns into no delta at all."""
    length = plan.finish_reason == "length"
    swallowed = tool_parser and knobs.responses_tool_parser_swallows_eos
    eos = [] if (length and plan.content) or swallowed else [""]
    reasoning = [] if plan.inline_reasoning else plan.reasoning
    return [*plan.content, *eos], reasoning, length


def stream_events(
    knobs: Knobs,
    final: JSONObject,
    steps: list[str],
    *,
    length_finish: bool,
    message_id: str,
    reasoning: list[str] = [],  # noqa: B006 - never mutated
    reasoning_id: str = "",
) -> list[bytes]:
    """The events of one stream. ``steps`` are the engine's text deltas, the EOS step's ""
    included; ``reasoning`` the reasoning parser's deltas before them; ``final`` is the
    completed response body."""
    style = knobs.responses_stream
    events = _Events()
    in_progress = {**final, "status": "in_progress", "output": [], "usage": None}
    if "incomplete_details" in in_progress:
        in_progress["incomplete_details"] = None
    in_progress = event_response(knobs, in_progress)
    events.add("response.created", {"response": in_progress})
    events.add("response.in_progress", {"response": in_progress})
    # up to 0.17 every delta whose content is not None is sent, the EOS step's "" included
    # (0.17.1 responses/serving.py:1493); from 0.18 only those with text
    every = style in (ResponsesStream.EVERY_DELTA, ResponsesStream.SEND_EMPTY)
    sent = steps if every else [s for s in steps if s]
    opened = bool(steps) if style is not ResponsesStream.STATE_MACHINE else bool(sent)
    reasoning_done: JSONObject | None = None
    output_index, added_id, added_index = 0, message_id, 0
    if reasoning:
        # 0.17-0.20 close a reasoning item left last at the end of the stream as well
        # (0.17.1 responses/serving.py:1517-1565, 0.18.0 :1697-1745)
        closes = opened or style in (ResponsesStream.SKIP_EMPTY, ResponsesStream.SEND_EMPTY)
        _reasoning_events(events, knobs, reasoning, reasoning_id, closes=closes)
        reasoning_done = _reasoning_item(reasoning_id, "".join(reasoning), "completed")
        output_index, added_index = 1, 1
        if style is ResponsesStream.EVERY_DELTA:
            # 0.10.2-0.17 announce the message under the reasoning item's id and index
            added_id, added_index = reasoning_id, 0
    text = "".join(steps)
    index = 0
    done_item: JSONObject | None = None
    if opened:
        events.add(
            "response.output_item.added",
            {"item": _message(added_id, [], "in_progress"), "output_index": added_index},
        )
        events.add(
            "response.content_part.added",
            {
                "content_index": index,
                "item_id": message_id,
                "output_index": output_index,
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
                    "output_index": output_index,
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
                    "output_index": output_index,
                    "sequence_number": None,
                    "text": text,
                },
            )
            if style is ResponsesStream.EVERY_DELTA:
                index += 1
            part = _text_part(text, None)
            events.add(
                "response.content_part.done",
                {
                    "content_index": index,
                    "item_id": message_id,
                    "output_index": output_index,
                    "part": part,
                },
            )
            status = (
                "incomplete" if length_finish and knobs.responses_done_item_status else "completed"
            )
            done_item = _message(message_id, [part], status)
            if knobs.responses_done_item_summary:
                done_item["summary"] = []
            events.add(
                "response.output_item.done", {"item": done_item, "output_index": output_index}
            )
    if knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE:
        return events.out  # response.completed fails openai's validation: no more events
    if knobs.responses_completed_reuses_items:
        items = [item for item in (reasoning_done, done_item) if item is not None]
        final = {**final, "output": items}
    events.add("response.completed", {"response": final})
    return events.out

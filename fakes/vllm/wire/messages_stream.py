"""/v1/messages' event stream: vLLM turns its own chat chunks into Anthropic events
(``event: <type>`` then ``data: <compact json>``). Two converters: 0.11.1's
(serving_messages.py:282-460, one text block then tool blocks, the finish chunk's text
skipped) and the block state machine of later releases (0.34.0 serving.py
message_stream_converter)."""

from __future__ import annotations

from typing import Any

from fakes.http import sse
from fakes.profiles import Knobs, MessagesStart
from fakes.types import JSONObject
from fakes.vllm.wire.messages import stop_reason, usage_of

DONE = sse.DONE


def event(payload: JSONObject) -> bytes:
    """wrap_data_with_event: the event name is the payload's type."""
    return sse.event(sse.compact(payload), fields=(("event", str(payload["type"])),))


def _start(knobs: Knobs, chunk: JSONObject) -> bytes:
    message: JSONObject = {"id": chunk["id"]}
    if knobs.messages_start is MessagesStart.FULL:
        message |= {"type": "message", "role": "assistant"}
    message |= {"content": [], "model": chunk["model"]}
    if knobs.messages_start is MessagesStart.FULL:
        message |= {"stop_reason": None, "stop_sequence": None, "usage": usage_of(chunk)}
    elif knobs.messages_start is MessagesStart.STOP_AND_INPUT_USAGE:
        message |= {"stop_reason": None, "stop_sequence": None}
    if knobs.messages_start in (MessagesStart.INPUT_USAGE, MessagesStart.STOP_AND_INPUT_USAGE):
        message["usage"] = {"input_tokens": usage_of(chunk)["input_tokens"], "output_tokens": 0}
    return event({"type": "message_start", "message": message})


def _message_delta(knobs: Knobs, chunk: JSONObject, reason: tuple[str | None, str | None]) -> bytes:
    delta: JSONObject = {"stop_reason": reason[0]}
    matched = reason[1] is not None
    if knobs.messages_stop_sequence and (matched or knobs.messages_delta_null_stop_sequence):
        delta["stop_sequence"] = reason[1]
    return event({"type": "message_delta", "delta": delta, "usage": usage_of(chunk)})


def _block_start(index: int, block: JSONObject) -> bytes:
    return event({"type": "content_block_start", "content_block": block, "index": index})


def _block_delta(index: int, delta: JSONObject) -> bytes:
    return event({"type": "content_block_delta", "delta": delta, "index": index})


def _block_stop(index: int) -> bytes:
    return event({"type": "content_block_stop", "index": index})


def _text(text: str) -> JSONObject:
    return {"type": "text_delta", "text": text}


def _json(fragment: Any) -> JSONObject:
    return {"type": "input_json_delta", "partial_json": fragment}


def events(knobs: Knobs, chunks: list[JSONObject]) -> list[bytes]:
    if knobs.messages_finish_chunk_dropped:
        return _events_v0_11(knobs, chunks)
    return _BlockStream(knobs).run(chunks)


def _events_v0_11(knobs: Knobs, chunks: list[JSONObject]) -> list[bytes]:
    out = [_start(knobs, chunks[0])]
    finish: str | None = None
    index = 0
    started = False
    for chunk in chunks[1:]:
        choices = chunk["choices"]
        if not choices:  # the usage chunk
            if started:
                out.append(_block_stop(index))
            reason = stop_reason(knobs, finish or "stop", None, tool_used=False)
            out.append(_message_delta(knobs, chunk, reason))
            continue
        choice = choices[0]
        if choice.get("finish_reason") is not None:
            finish = choice["finish_reason"]
            continue  # this chunk's text is never sent
        delta = choice["delta"]
        if delta.get("content") is not None:
            if not started:
                out.append(_block_start(index, {"type": "text", "text": ""}))
                started = True
            if delta["content"]:
                out.append(_block_delta(index, _text(delta["content"])))
        elif delta.get("tool_calls"):
            call = delta["tool_calls"][0]  # only the first call of a delta
            function = call.get("function")
            if call.get("id") is not None:
                if started:
                    out.append(_block_stop(index))
                    index += 1
                name = function.get("name") if function else None
                block = {"type": "tool_use", "id": call["id"], "name": name, "input": {}}
                out.append(_block_start(index, block))
                started = True
            else:
                fragment = function.get("arguments") if function else None
                out.append(_block_delta(index, _json(fragment)))
    out.append(event({"type": "message_stop"}))
    if knobs.messages_stream_done:
        out.append(DONE)
    return out


class _BlockStream:
    """One open block at a time; text arriving inside a tool block waits for its end."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.next_index = 0
        self.open: str | None = None
        self.tool_id: str | None = None
        self.pending: list[str] = []
        self.out: list[bytes] = []

    def _stop(self) -> None:
        if self.open is None:
            return
        self.out.append(_block_stop(self.next_index))
        self.open = None
        self.tool_id = None
        self.next_index += 1

    def _begin(self, block: JSONObject) -> None:
        self.out.append(_block_start(self.next_index, block))
        self.open = str(block["type"])
        self.tool_id = block.get("id")

    def _stop_and_flush(self) -> None:
        held = "".join(self.pending)
        self.pending.clear()
        self._stop()
        if held:
            self._begin({"type": "text", "text": ""})
            self.out.append(_block_delta(self.next_index, _text(held)))
            self._stop()

    def run(self, chunks: list[JSONObject]) -> list[bytes]:
        knobs = self.knobs
        self.out.append(_start(knobs, chunks[0]))
        finish: str | None = None
        matched: Any = None
        tool_used = False
        ids: dict[int, str] = {}
        for chunk in chunks[1:]:
            choices = chunk["choices"]
            if not choices:
                self._stop_and_flush()
                reason = stop_reason(knobs, finish or "stop", matched, tool_used=tool_used)
                self.out.append(_message_delta(knobs, chunk, reason))
                continue
            choice = choices[0]
            if choice.get("finish_reason") is not None:
                finish, matched = choice["finish_reason"], choice.get("stop_reason")
            delta = choice["delta"]
            text = delta.get("content")
            if text and self.open == "tool_use":
                self.pending.append(text)
            elif text:
                if self.open != "text":
                    self._stop_and_flush()
                    self._begin({"type": "text", "text": ""})
                self.out.append(_block_delta(self.next_index, _text(text)))
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                call_id = call.get("id")
                if call_id is not None:
                    ids[call.get("index", 0)] = call_id
                    if self.tool_id != call_id and function.get("name") is not None:
                        self._stop_and_flush()
                        tool_used = True
                        block = {"type": "tool_use", "id": call_id, "name": function["name"]}
                        self._begin({**block, "input": {}})
                else:
                    call_id = ids.get(call.get("index", 0))
                if call_id is not None and function.get("arguments") and self.tool_id == call_id:
                    self.out.append(_block_delta(self.next_index, _json(function["arguments"])))
        self._stop_and_flush()
        self.out.append(event({"type": "message_stop"}))
        if knobs.messages_stream_done:
            self.out.append(DONE)
        return self.out

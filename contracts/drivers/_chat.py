"""Chat completions on the wire, read the careful way: every quirk in quirks.md section 4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from contracts._classify import classify, classify_frame
from contracts._model import (
    ContractError,
    ErrorKind,
    Event,
    Finish,
    ReasoningDelta,
    Request,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from contracts._sse import sse_events
from contracts.drivers._think import ThinkSplitter

CHAT_PATH = "/chat/completions"

# Spellings seen in the wild for the standard reasons; anything else is kept as sent.
FINISH_SYNONYMS = {
    "eos": "stop",
    "eos_token": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
}


def chat_payload(request: Request, model: str, *, stream_usage: bool) -> dict[str, Any]:
    """The request a careful client sends: no empty tools, no orphan tool_choice, max_tokens."""
    body: dict[str, Any] = {"model": model, "messages": list(request.messages)}
    if request.tools:
        body["tools"] = list(request.tools)
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice
        if request.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = request.parallel_tool_calls
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens  # every backend knows it; not all know the new name
    if request.stream:
        body["stream"] = True
        if stream_usage:
            body["stream_options"] = {"include_usage": True}
    return body


def usage_of(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    numbers = {
        key: value[key] if isinstance(value.get(key), int) else None
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
    }
    if all(number is None for number in numbers.values()):
        return None
    return Usage(**numbers)


def finish_of(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return FINISH_SYNONYMS.get(value, value)


def reasoning_of(container: dict[str, Any]) -> str | None:
    # 0.12+ sends "reasoning" with a "reasoning_content" mirror: read one, never both
    for key in ("reasoning", "reasoning_content"):
        value = container.get(key)
        if isinstance(value, str) and value:
            return value
    return None


class ChunkReader:
    """Turns chat chunks into events, tolerating every tool-call delta style."""

    def __init__(self) -> None:
        self.think = ThinkSplitter()
        self._slots: list[str | None] = []  # id per call slot, in order of appearance
        self._by_index: dict[int, int] = {}  # wire index -> slot
        self._current: int | None = None
        self.finish: str | None = None
        self.usage: Usage | None = None

    def chunk(self, chunk: Any) -> list[Event]:
        if not isinstance(chunk, dict):
            raise ContractError(ErrorKind.PROTOCOL, f"stream chunk is not an object: {chunk!r}")
        if "error" in chunk and "choices" not in chunk:
            raise ContractError(**_failure_args(chunk["error"]))
        events: list[Event] = []
        if (usage := usage_of(chunk.get("usage"))) is not None:
            self.usage = usage
        for choice in chunk.get("choices") or []:  # [] and null both mean "no choice here"
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if (reasoning := reasoning_of(delta)) is not None:
                events.append(ReasoningDelta(text=reasoning))
            content = delta.get("content")
            if isinstance(content, str) and content:
                events.extend(self.think.feed(content))
            for call in delta.get("tool_calls") or []:
                if isinstance(call, dict):
                    events.append(self._tool_delta(call))
            if (finish := finish_of(choice.get("finish_reason"))) is not None:
                self.finish = finish
        return events

    def _tool_delta(self, call: dict[str, Any]) -> ToolCallDelta:
        function = call.get("function") or {}
        call_id = call.get("id") or None  # "" is no id
        index = call.get("index")
        slot: int
        if isinstance(index, int):
            known = self._by_index.get(index)
            reused = known is not None and call_id and self._slots[known] not in (None, call_id)
            if known is None or reused:
                slot = self._new_slot(call_id)
                self._by_index[index] = slot
            else:
                slot = known
        elif self._current is None or (
            call_id and self._slots[self._current] not in (None, call_id)
        ):
            slot = self._new_slot(call_id)  # no index: a new id starts a new call
        else:
            slot = self._current
        if call_id and self._slots[slot] is None:
            self._slots[slot] = call_id
        self._current = slot
        arguments = function.get("arguments")
        return ToolCallDelta(
            index=slot,
            id=call_id,
            name=function.get("name") or None,
            arguments=arguments if isinstance(arguments, str) else "",
        )

    def _new_slot(self, call_id: str | None) -> int:
        self._slots.append(call_id)
        return len(self._slots) - 1

    def close(self) -> list[Event]:
        events = self.think.flush()
        if self.usage is not None:
            events.append(UsageReport(usage=self.usage))
        if self.finish is not None:
            events.append(Finish(reason=self.finish))
        return events


def _failure_args(error: Any) -> dict[str, Any]:
    failure = classify_frame(error)
    return {"kind": failure.kind, "message": failure.message, "status": failure.status}


async def raise_for_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        body = await response.aread()
        failure = classify(response.status_code, body)
        raise ContractError(failure.kind, failure.message, failure.status)


async def chat_stream(response: httpx.Response) -> AsyncIterator[Event]:
    """Events of a chat stream; a stream that stops before a finish or [DONE] is truncated."""
    reader = ChunkReader()
    done = False
    try:
        async for sse in sse_events(response.aiter_raw()):
            if sse.data.strip() == "[DONE]":
                done = True
                break
            if sse.event == "error":
                raise ContractError(**_failure_args(_json(sse.data)))
            for event in reader.chunk(_json(sse.data)):
                yield event
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
        for event in reader.think.flush():
            yield event
        raise ContractError(ErrorKind.TRUNCATED, f"stream broke off: {exc}") from None
    for event in reader.close():
        yield event
    if not done and reader.finish is None:
        raise ContractError(ErrorKind.TRUNCATED, "stream ended without a finish or [DONE]")


def _json(data: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ContractError(ErrorKind.PROTOCOL, f"event data is not JSON: {data[:200]!r}") from None


def chat_body_events(body: bytes) -> list[Event]:
    """Events of a non-streaming chat body, checked for the fields a result needs."""
    value = _json(body.decode("utf-8", "replace"))
    choices = value.get("choices") if isinstance(value, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ContractError(ErrorKind.PROTOCOL, "response has no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise ContractError(ErrorKind.PROTOCOL, "choice has no message")
    events: list[Event] = []
    if (reasoning := reasoning_of(message)) is not None:
        events.append(ReasoningDelta(text=reasoning))
    content = message.get("content")
    if isinstance(content, str) and content:
        splitter = ThinkSplitter()
        events.extend(splitter.feed(content) + splitter.flush())
    for position, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {} if isinstance(call, dict) else {}
        events.append(
            ToolCallDelta(
                index=position,
                id=call.get("id") or None,
                name=function.get("name") or None,
                arguments=str(function.get("arguments") or ""),
            )
        )
    if (usage := usage_of(value.get("usage"))) is not None:
        events.append(UsageReport(usage=usage))
    events.append(Finish(reason=finish_of(choice.get("finish_reason"))))
    return events

"""What a driver is asked to do and what it reports back, independent of any client library."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

_FROZEN = ConfigDict(frozen=True, extra="forbid")

Endpoint = Literal["chat", "responses", "auto"]


class Request(BaseModel):
    """A caller's request in chat-completions terms; each driver maps it to its own wire form.

    ``endpoint`` is the caller's explicit choice; ``None`` leaves it to the driver.
    """

    model_config = _FROZEN

    messages: tuple[dict[str, Any], ...]
    stream: bool = False
    tools: tuple[dict[str, Any], ...] | None = None
    tool_choice: str | dict[str, Any] | None = None
    max_tokens: int | None = None
    endpoint: Endpoint | None = None
    parallel_tool_calls: bool | None = None


class ErrorKind(StrEnum):
    ENDPOINT_UNSUPPORTED = "endpoint_unsupported"
    MODEL_NOT_FOUND = "model_not_found"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    BAD_REQUEST = "bad_request"
    SERVER = "server"
    TRUNCATED = "truncated"  # the stream stopped before the backend said it was done
    PROTOCOL = "protocol"  # the backend said something that is not the protocol


class Usage(BaseModel):
    model_config = _FROZEN

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


class ToolCall(BaseModel):
    model_config = _FROZEN

    id: str | None
    name: str
    arguments: str  # the JSON text as the backend sent it, fragments joined


class Failure(BaseModel):
    """A classified error; the partial output received before it stays in the Result."""

    model_config = _FROZEN

    kind: ErrorKind
    status: int | None = None
    message: str = ""


class Result(BaseModel):
    """The normalized outcome of one call. Unknown stays ``None``: never zeros or guesses."""

    model_config = _FROZEN

    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    error: Failure | None = None
    endpoint: str | None = None  # the path that produced the answer (or the last error)


class ContractError(Exception):
    """Raised by a driver for a classified failure; anything else a driver raises is a crash."""

    def __init__(self, kind: ErrorKind, message: str = "", status: int | None = None) -> None:
        super().__init__(f"{kind.value}: {message}" if message else kind.value)
        self.failure = Failure(kind=kind, status=status, message=message)


# Stream events: what a driver's ``stream()`` yields, in wire order.


class TextDelta(BaseModel):
    model_config = _FROZEN
    type: Literal["text"] = "text"
    text: str


class ReasoningDelta(BaseModel):
    model_config = _FROZEN
    type: Literal["reasoning"] = "reasoning"
    text: str


class ToolCallDelta(BaseModel):
    """A piece of tool call ``index``; ``id`` and ``name`` arrive once, arguments in fragments."""

    model_config = _FROZEN
    type: Literal["tool_call"] = "tool_call"
    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class UsageReport(BaseModel):
    model_config = _FROZEN
    type: Literal["usage"] = "usage"
    usage: Usage


class Finish(BaseModel):
    model_config = _FROZEN
    type: Literal["finish"] = "finish"
    reason: str | None


class EndpointUsed(BaseModel):
    """Which path answered; a driver that falls back says so before the first delta."""

    model_config = _FROZEN
    type: Literal["endpoint"] = "endpoint"
    path: str


Event = TextDelta | ReasoningDelta | ToolCallDelta | UsageReport | Finish | EndpointUsed

EVENT_TYPES: dict[str, type[BaseModel]] = {
    "text": TextDelta,
    "reasoning": ReasoningDelta,
    "tool_call": ToolCallDelta,
    "usage": UsageReport,
    "finish": Finish,
    "endpoint": EndpointUsed,
}


def event_from_json(value: dict[str, Any]) -> Event:
    kind = value.get("type")
    model = EVENT_TYPES.get(str(kind))
    if model is None:
        raise ValueError(f"unknown event type {kind!r}; known: {', '.join(EVENT_TYPES)}")
    event: Event = model.model_validate(value)  # type: ignore[assignment]
    return event


__all__ = [
    "ContractError",
    "Endpoint",
    "EndpointUsed",
    "ErrorKind",
    "Event",
    "Failure",
    "Finish",
    "ReasoningDelta",
    "Request",
    "Result",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "UsageReport",
    "event_from_json",
]

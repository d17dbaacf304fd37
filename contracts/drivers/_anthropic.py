"""The Anthropic Messages reference driver (plain httpx): the caller's chat-shaped request as
``POST /v1/messages``, the answer read back from Anthropic's body or event stream.

Results keep the contract's vocabulary: ``end_turn``/``stop_sequence`` finish as ``stop``,
``tool_use`` as ``tool_calls``, ``max_tokens`` as ``length``; usage is input and output
tokens, with no total (Anthropic reports none, and unknown is never computed or zero).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from contracts._driver import ANTHROPIC_MESSAGES
from contracts._model import (
    ContractError,
    EndpointUsed,
    ErrorKind,
    Event,
    Finish,
    ReasoningDelta,
    Request,
    Result,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from contracts._sse import sse_events
from contracts._target import Target
from contracts.drivers._chat import finish_of, raise_for_status

MESSAGES_PATH = "/messages"
DEFAULT_MAX_TOKENS = 256  # Anthropic requires max_tokens


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool.get("function") or {}
    out = {"name": function.get("name"), "input_schema": function.get("parameters") or {}}
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if isinstance(choice, dict):
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}.get(
        str(choice)
    )


def messages_payload(request: Request, model: str) -> dict[str, Any]:
    """system messages become ``system``; tools and tool_choice in Anthropic's words."""
    system = [_text_of(m.get("content")) for m in request.messages if m.get("role") == "system"]
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [
            {"role": m["role"], "content": m.get("content") or ""}
            for m in request.messages
            if m.get("role") in ("user", "assistant")
        ],
    }
    if system:
        body["system"] = "\n".join(system)
    if request.tools:
        body["tools"] = [_tool(t) for t in request.tools]
        choice = _tool_choice(request.tool_choice)
        if choice is not None:
            body["tool_choice"] = choice
    if request.stream:
        body["stream"] = True
    return body


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    numbers = {
        "prompt_tokens": value.get("input_tokens"),
        "completion_tokens": value.get("output_tokens"),
    }
    if not any(isinstance(n, int) for n in numbers.values()):
        return None
    return Usage(**{k: v if isinstance(v, int) else None for k, v in numbers.items()})


def _json(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ContractError(ErrorKind.PROTOCOL, f"not JSON: {data[:200]!r}") from None


def body_events(body: bytes) -> list[Event]:
    """Events of a non-streaming message body."""
    value = _json(body)
    content = value.get("content") if isinstance(value, dict) else None
    if not isinstance(content, list):
        raise ContractError(ErrorKind.PROTOCOL, "message has no content list")
    events: list[Event] = []
    calls = 0
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and block.get("text"):
            events.append(TextDelta(text=str(block["text"])))
        elif kind == "thinking" and block.get("thinking"):
            events.append(ReasoningDelta(text=str(block["thinking"])))
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            events.append(
                ToolCallDelta(
                    index=calls, id=block.get("id"), name=block.get("name"), arguments=arguments
                )
            )
            calls += 1
    if (usage := _usage(value.get("usage"))) is not None:
        events.append(UsageReport(usage=usage))
    events.append(Finish(reason=finish_of(value.get("stop_reason"))))
    return events


class _StreamReader:
    """Content blocks by index; tool_use blocks numbered in order of appearance."""

    def __init__(self) -> None:
        self.tools: dict[int, int] = {}
        self.input_tokens: int | None = None
        self.finished = False

    def event(self, name: str, data: Any) -> list[Event]:
        if not isinstance(data, dict):
            raise ContractError(ErrorKind.PROTOCOL, f"{name} data is not an object")
        kind = data.get("type", name)
        if kind == "error":
            error = data.get("error") or {}
            raise ContractError(ErrorKind.SERVER, str(error.get("message", "")))
        if kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            if isinstance(usage.get("input_tokens"), int) and usage["input_tokens"]:
                self.input_tokens = usage["input_tokens"]
            return []
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") == "tool_use":
                slot = self.tools.setdefault(data.get("index", 0), len(self.tools))
                return [ToolCallDelta(index=slot, id=block.get("id"), name=block.get("name"))]
            return []
        if kind == "content_block_delta":
            return self._delta(data.get("index", 0), data.get("delta") or {})
        if kind == "message_delta":
            out: list[Event] = []
            usage = _usage({"input_tokens": self.input_tokens, **(data.get("usage") or {})})
            if usage is not None:
                out.append(UsageReport(usage=usage))
            reason = (data.get("delta") or {}).get("stop_reason")
            out.append(Finish(reason=finish_of(reason)))
            return out
        if kind == "message_stop":
            self.finished = True
        return []

    def _delta(self, index: int, delta: dict[str, Any]) -> list[Event]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [TextDelta(text=str(delta["text"]))]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [ReasoningDelta(text=str(delta["thinking"]))]
        if kind == "input_json_delta" and index in self.tools:
            fragment = delta.get("partial_json") or ""
            return [ToolCallDelta(index=self.tools[index], arguments=str(fragment))]
        return []


async def messages_stream(response: httpx.Response) -> AsyncIterator[Event]:
    reader = _StreamReader()
    try:
        async for sse in sse_events(response.aiter_raw()):
            if sse.data.strip() == "[DONE]":  # vLLM 0.11-0.18 add one after message_stop
                continue
            for event in reader.event(sse.event, _json(sse.data)):
                yield event
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
        raise ContractError(ErrorKind.TRUNCATED, f"stream broke off: {exc}") from None
    if not reader.finished:
        raise ContractError(ErrorKind.TRUNCATED, "stream ended without message_stop")


class AnthropicMessagesDriver:
    """A careful Anthropic-protocol client over raw HTTP."""

    capabilities = frozenset({ANTHROPIC_MESSAGES})

    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = target.httpx_client()

    async def complete(self, request: Request) -> Result:
        from contracts._collect import collect

        return await collect(self._run(request.model_copy(update={"stream": False})))

    def stream(self, request: Request) -> AsyncIterator[Event]:
        return self._run(request.model_copy(update={"stream": True}))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _run(self, request: Request) -> AsyncIterator[Event]:
        url = self.target.base_url + MESSAGES_PATH
        headers = {"anthropic-version": "2023-06-01", **self.target.headers}
        if self.target.api_key:
            headers["x-api-key"] = self.target.api_key
        payload = messages_payload(request, self.target.model)
        async with self.client.stream("POST", url, json=payload, headers=headers) as response:
            await raise_for_status(response)
            yield EndpointUsed(path=MESSAGES_PATH)
            if request.stream:
                async for event in messages_stream(response):
                    yield event
            else:
                for event in body_events(await response.aread()):
                    yield event

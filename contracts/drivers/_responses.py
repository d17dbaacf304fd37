"""The Responses API on the wire: request mapping and reading bodies and event streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from contracts._model import (
    ContractError,
    ErrorKind,
    Event,
    Finish,
    ReasoningDelta,
    Request,
    TextDelta,
    ToolCallDelta,
    UsageReport,
)
from contracts._sse import sse_events
from contracts.drivers._chat import _failure_args, _json, usage_of

RESPONSES_PATH = "/responses"


def responses_payload(request: Request, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": list(request.messages)}
    if request.tools:
        body["tools"] = [
            {"type": "function", **tool["function"]} for tool in request.tools if "function" in tool
        ]
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice
    if request.max_tokens is not None:
        body["max_output_tokens"] = request.max_tokens
    if request.stream:
        body["stream"] = True
    return body


def _usage(value: Any) -> UsageReport | None:
    if not isinstance(value, dict):
        return None
    if "input_tokens" not in value and "prompt_tokens" in value:
        usage = usage_of(value)  # vLLM 0.10.0 sends chat's UsageInfo on /v1/responses
    else:
        usage = usage_of(
            {
                "prompt_tokens": value.get("input_tokens"),
                "completion_tokens": value.get("output_tokens"),
                "total_tokens": value.get("total_tokens"),
            }
        )
    return None if usage is None else UsageReport(usage=usage)


def _finish(response: dict[str, Any], called: bool) -> Finish:
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason")
        return Finish(reason="length" if reason == "max_output_tokens" else reason)
    if status == "completed":
        return Finish(reason="tool_calls" if called else "stop")
    return Finish(reason=None)


def _item_text(item: dict[str, Any], key: str) -> str:
    parts = item.get(key) or []
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))


def responses_body_events(body: bytes) -> list[Event]:
    value = _json(body.decode("utf-8", "replace"))
    if not isinstance(value, dict) or not isinstance(value.get("output"), list):
        raise ContractError(ErrorKind.PROTOCOL, "response has no output list")
    events: list[Event] = []
    calls = 0
    for item in value["output"]:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            text = _item_text(item, "content") or _item_text(item, "summary")
            if text:
                events.append(ReasoningDelta(text=text))
        elif item.get("type") == "message":
            if text := _item_text(item, "content"):
                events.append(TextDelta(text=text))
        elif item.get("type") == "function_call":
            events.append(
                ToolCallDelta(
                    index=calls,
                    id=item.get("call_id") or None,
                    name=item.get("name"),
                    arguments=str(item.get("arguments", "")),
                )
            )
            calls += 1
    if (usage := _usage(value.get("usage"))) is not None:
        events.append(usage)
    events.append(_finish(value, bool(calls)))
    return events


async def responses_stream(response: httpx.Response) -> AsyncIterator[Event]:
    """Typed Responses events; the stream is complete only with ``response.completed``."""
    calls: dict[str, int] = {}
    try:
        async for sse in sse_events(response.aiter_raw()):
            if sse.data.strip() == "[DONE]":
                break
            value = _json(sse.data)
            kind = value.get("type", sse.event) if isinstance(value, dict) else sse.event
            if kind in ("error", "response.failed"):
                error = value.get("error") or (value.get("response") or {}).get("error") or value
                raise ContractError(**_failure_args(error))
            if kind == "response.output_text.delta":
                yield TextDelta(text=str(value.get("delta", "")))
            elif kind in ("response.reasoning_text.delta", "response.reasoning.delta"):
                yield ReasoningDelta(text=str(value.get("delta", "")))
            elif kind == "response.output_item.added":
                item = value.get("item") or {}
                if item.get("type") == "function_call":
                    calls[str(item.get("id"))] = len(calls)
                    yield ToolCallDelta(
                        index=calls[str(item.get("id"))],
                        id=item.get("call_id") or None,
                        name=item.get("name"),
                    )
            elif kind == "response.function_call_arguments.delta":
                index = calls.get(str(value.get("item_id")), 0)
                yield ToolCallDelta(index=index, arguments=str(value.get("delta", "")))
            elif kind in ("response.completed", "response.incomplete"):
                final = value.get("response") or {}
                if (usage := _usage(final.get("usage"))) is not None:
                    yield usage
                yield _finish(final, bool(calls))
                return
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout) as exc:
        raise ContractError(ErrorKind.TRUNCATED, f"stream broke off: {exc}") from None
    raise ContractError(ErrorKind.TRUNCATED, "stream ended before response.completed")

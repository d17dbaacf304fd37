"""Adapters for the official openai-python client (3.x, over httpx2), used as users use it.

No special-casing: the caller's request is passed through the SDK's own parameters and the
SDK's objects are read back; whatever the SDK does with a quirk shows up in the matrix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from contracts._classify import classify
from contracts._model import (
    ContractError,
    ErrorKind,
    Event,
    Finish,
    ReasoningDelta,
    Request,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from contracts._target import Target
from contracts.drivers._client import ClientAdapter, openai_tool_calls


def _client(target: Target) -> Any:
    import openai

    return openai.AsyncOpenAI(
        base_url=target.base_url,
        api_key=target.api_key or "unused",
        http_client=target.httpx2_client(),
        max_retries=0,
    )


def _failure(exc: Exception) -> ContractError | None:
    import httpx2
    import openai

    if isinstance(exc, openai.APIStatusError):
        failure = classify(exc.status_code, exc.response.content)
        return ContractError(failure.kind, failure.message, failure.status)
    if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
        return ContractError(ErrorKind.TRUNCATED, str(exc))
    if isinstance(exc, openai.APIError):  # an error event inside a 200 stream
        return ContractError(ErrorKind.SERVER, exc.message)
    return None


def _usage(value: Any) -> Usage | None:
    if value is None:
        return None
    prompt = getattr(value, "prompt_tokens", getattr(value, "input_tokens", None))
    completion = getattr(value, "completion_tokens", getattr(value, "output_tokens", None))
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=getattr(value, "total_tokens", None),
    )


class _Adapter(ClientAdapter):
    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self.client = _client(target)

    async def aclose(self) -> None:
        await self.client.close()

    def _failure(self, exc: Exception) -> ContractError | None:
        return _failure(exc)


class OpenAIChatAdapter(_Adapter):
    path = "/chat/completions"

    def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.target.model, "messages": list(request.messages)}
        if request.tools is not None:
            params["tools"] = list(request.tools)
        if request.tool_choice is not None:
            params["tool_choice"] = request.tool_choice
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        return params

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        params = self._params(request)
        if not request.stream:
            completion = await self.client.chat.completions.create(**params)
            choice = completion.choices[0]
            message = choice.message
            extra = message.model_extra or {}
            reasoning = extra.get("reasoning") or extra.get("reasoning_content")
            if reasoning:
                yield ReasoningDelta(text=reasoning)
            if message.content:
                yield TextDelta(text=message.content)
            for call in openai_tool_calls(message.tool_calls):
                yield call
            if (usage := _usage(completion.usage)) is not None:
                yield UsageReport(usage=usage)
            yield Finish(reason=choice.finish_reason)
            return
        stream = await self.client.chat.completions.create(**params, stream=True)
        finish = None
        usage = None
        async with stream:
            async for chunk in stream:
                usage = _usage(chunk.usage) or usage
                for choice in chunk.choices or []:
                    delta = choice.delta
                    extra = delta.model_extra or {}
                    reasoning = extra.get("reasoning") or extra.get("reasoning_content")
                    if reasoning:
                        yield ReasoningDelta(text=reasoning)
                    if delta.content:
                        yield TextDelta(text=delta.content)
                    for call in delta.tool_calls or []:
                        function = call.function
                        yield ToolCallDelta(
                            # what `calls[delta.index]` accumulation does: no index, one bucket
                            index=call.index if call.index is not None else 0,
                            id=call.id or None,
                            name=function.name if function else None,
                            arguments=(function.arguments or "") if function else "",
                        )
                    finish = choice.finish_reason or finish
        if usage is not None:
            yield UsageReport(usage=usage)
        yield Finish(reason=finish)


class OpenAIResponsesAdapter(_Adapter):
    path = "/responses"

    def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.target.model, "input": list(request.messages)}
        if request.tools is not None:
            params["tools"] = [{"type": "function", **t["function"]} for t in request.tools]
        if request.max_tokens is not None:
            params["max_output_tokens"] = request.max_tokens
        return params

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        params = self._params(request)
        if not request.stream:
            response = await self.client.responses.create(**params)
            calls = 0
            for item in response.output:
                if item.type == "message":
                    text = "".join(getattr(part, "text", "") for part in item.content)
                    if text:
                        yield TextDelta(text=text)
                elif item.type == "function_call":
                    yield ToolCallDelta(
                        index=calls, id=item.call_id, name=item.name, arguments=item.arguments
                    )
                    calls += 1
            if (usage := _usage(response.usage)) is not None:
                yield UsageReport(usage=usage)
            yield Finish(reason=_finish(response.status, calls))
            return
        stream = await self.client.responses.create(**params, stream=True)
        async with stream:
            async for event in stream:
                if event.type == "response.output_text.delta":
                    yield TextDelta(text=event.delta)
                elif event.type == "response.completed":
                    if (usage := _usage(event.response.usage)) is not None:
                        yield UsageReport(usage=usage)
                    yield Finish(reason=_finish(event.response.status, 0))
                elif event.type in ("error", "response.failed"):
                    raise ContractError(ErrorKind.SERVER, str(getattr(event, "message", "")))


def _finish(status: str | None, calls: int) -> str | None:
    if status == "completed":
        return "tool_calls" if calls else "stop"
    return "length" if status == "incomplete" else None

"""An adapter for the official ``anthropic`` client (2.x, over httpx2), used as users use it:
``AsyncAnthropic(base_url=...).messages.create``, its objects read back unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from contracts._classify import classify
from contracts._driver import ANTHROPIC_MESSAGES
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
from contracts.drivers._anthropic import messages_payload
from contracts.drivers._chat import finish_of
from contracts.drivers._client import ClientAdapter


def _client(target: Target) -> Any:
    import anthropic

    return anthropic.AsyncAnthropic(
        base_url=target.base_url.removesuffix("/v1"),  # the SDK adds /v1/messages
        api_key=target.api_key or "unused",
        http_client=target.httpx2_client(),
        max_retries=0,
    )


def _usage(value: Any, input_tokens: int | None = None) -> Usage | None:
    if value is None:
        return None
    prompt = getattr(value, "input_tokens", None)
    return Usage(
        prompt_tokens=prompt if prompt else input_tokens,
        completion_tokens=getattr(value, "output_tokens", None),
    )


class AnthropicSdkAdapter(ClientAdapter):
    path = "/messages"
    capabilities = frozenset({ANTHROPIC_MESSAGES})

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self.client = _client(target)

    async def aclose(self) -> None:
        await self.client.close()

    def _failure(self, exc: Exception) -> ContractError | None:
        import anthropic
        import httpx2

        if isinstance(exc, anthropic.APIStatusError):
            failure = classify(exc.status_code, exc.response.content)
            return ContractError(failure.kind, failure.message, failure.status)
        if isinstance(exc, anthropic.APIConnectionError | httpx2.TransportError):
            return ContractError(ErrorKind.TRUNCATED, str(exc))
        if isinstance(exc, anthropic.APIError):  # an error event inside a 200 stream
            return ContractError(ErrorKind.SERVER, exc.message)
        return None

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        params = messages_payload(request, self.target.model)
        params.pop("stream", None)
        if not request.stream:
            message = await self.client.messages.create(**params)
            calls = 0
            for block in message.content:
                if block.type == "text" and block.text:
                    yield TextDelta(text=block.text)
                elif block.type == "thinking" and block.thinking:
                    yield ReasoningDelta(text=block.thinking)
                elif block.type == "tool_use":
                    import json

                    arguments = json.dumps(block.input, separators=(",", ":"))
                    yield ToolCallDelta(
                        index=calls, id=block.id, name=block.name, arguments=arguments
                    )
                    calls += 1
            if (usage := _usage(message.usage)) is not None:
                yield UsageReport(usage=usage)
            yield Finish(reason=finish_of(message.stop_reason))
            return
        stream = await self.client.messages.create(**params, stream=True)
        tools: dict[int, int] = {}
        input_tokens: int | None = None
        async with stream:
            async for event in stream:
                if event.type == "message_start":
                    input_tokens = getattr(event.message.usage, "input_tokens", None) or None
                elif event.type == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        slot = tools.setdefault(event.index, len(tools))
                        yield ToolCallDelta(index=slot, id=block.id, name=block.name)
                elif event.type == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta" and delta.text:
                        yield TextDelta(text=delta.text)
                    elif delta.type == "thinking_delta" and delta.thinking:
                        yield ReasoningDelta(text=delta.thinking)
                    elif delta.type == "input_json_delta" and event.index in tools:
                        yield ToolCallDelta(
                            index=tools[event.index], arguments=delta.partial_json or ""
                        )
                elif event.type == "message_delta":
                    if (usage := _usage(event.usage, input_tokens)) is not None:
                        yield UsageReport(usage=usage)
                    yield Finish(reason=finish_of(event.delta.stop_reason))

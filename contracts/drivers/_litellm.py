"""An adapter for the litellm SDK (``litellm.acompletion``), as users use it.

The SDK opens its own connections (httpx or aiohttp inside, depending on the provider), so an
in-process target is served on a loopback port for the call. Two provider prefixes, as users
write them for a vLLM: ``openai/<model>`` (litellm's OpenAI-compatible path) and
``hosted_vllm/<model>``. Retries are off like the other adapters; everything else is the
SDK's defaults (it does not ask for stream usage by itself).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator
from typing import Any

from contracts._classify import classify
from contracts._loopback import Loopback
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


def _litellm() -> Any:
    # litellm fetches its model cost map over the network at import unless told not to
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with warnings.catch_warnings():  # its import warns (pydantic, deprecations): not ours
        warnings.simplefilter("ignore")
        import litellm

    # litellm's own types make pydantic warn when it builds them, lazily during calls; that
    # is not the behaviour under test (and -W error would turn it into a crash)
    warnings.filterwarnings("ignore", message=".*`ReadOnly` qualifier", category=UserWarning)
    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


def _usage(value: Any) -> Usage | None:
    if value is None:
        return None
    return Usage(
        prompt_tokens=getattr(value, "prompt_tokens", None),
        completion_tokens=getattr(value, "completion_tokens", None),
        total_tokens=getattr(value, "total_tokens", None),
    )


def _reasoning(value: Any) -> str:
    text = getattr(value, "reasoning_content", None) or getattr(value, "reasoning", None)
    return text if isinstance(text, str) else ""


class LiteLLMAdapter(ClientAdapter):
    prefix = "openai"

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self.loopback = Loopback(target)

    async def aclose(self) -> None:
        await self.loopback.aclose()

    def _failure(self, exc: Exception) -> ContractError | None:
        errors = _litellm().exceptions
        if isinstance(exc, errors.APIConnectionError | errors.Timeout):
            return ContractError(ErrorKind.TRUNCATED, str(exc))
        if not isinstance(exc, tuple(errors.LITELLM_EXCEPTION_TYPES)):
            return None
        status = getattr(exc, "status_code", None)
        if not isinstance(status, int):
            return ContractError(ErrorKind.SERVER, str(exc))
        body = getattr(getattr(exc, "response", None), "content", None)
        if not isinstance(body, bytes) or not body:
            body = str(getattr(exc, "message", exc)).encode()
        failure = classify(status, body)
        return ContractError(failure.kind, failure.message, failure.status)

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        litellm = _litellm()
        target = await self.loopback.target()
        params: dict[str, Any] = {
            "model": f"{self.prefix}/{target.model}",
            "api_base": target.base_url,
            "api_key": target.api_key or "unused",
            "messages": list(request.messages),
            "timeout": target.timeout,
            "max_retries": 0,
        }
        if request.tools is not None:
            params["tools"] = list(request.tools)
        if request.tool_choice is not None:
            params["tool_choice"] = request.tool_choice
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if request.parallel_tool_calls is not None:
            params["parallel_tool_calls"] = request.parallel_tool_calls
        if not request.stream:
            response = await litellm.acompletion(**params)
            choice = response.choices[0]
            message = choice.message
            if reasoning := _reasoning(message):
                yield ReasoningDelta(text=reasoning)
            if message.content:
                yield TextDelta(text=message.content)
            for call in openai_tool_calls(message.tool_calls):
                yield call
            if (usage := _usage(getattr(response, "usage", None))) is not None:
                yield UsageReport(usage=usage)
            yield Finish(reason=choice.finish_reason)
            return
        stream = await litellm.acompletion(**params, stream=True)
        finish = None
        usage = None
        async for chunk in stream:
            usage = _usage(getattr(chunk, "usage", None)) or usage
            for choice in chunk.choices or []:
                delta = choice.delta
                if reasoning := _reasoning(delta):
                    yield ReasoningDelta(text=reasoning)
                if delta.content:
                    yield TextDelta(text=delta.content)
                for call in delta.tool_calls or []:
                    function = call.function
                    yield ToolCallDelta(
                        index=call.index or 0,
                        id=call.id or None,
                        name=(function.name or None) if function else None,
                        arguments=(function.arguments or "") if function else "",
                    )
                finish = choice.finish_reason or finish
        if usage is not None:
            yield UsageReport(usage=usage)
        yield Finish(reason=finish)


class LiteLLMHostedVllmAdapter(LiteLLMAdapter):
    prefix = "hosted_vllm"

"""An adapter for langchain-openai's ``ChatOpenAI`` (``ainvoke`` / ``astream``), as users use it.

Routed in-process through ``http_async_client``; everything else is ChatOpenAI's defaults
(so, for example, stream usage is whatever it asks for by itself with a custom base_url).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from contracts._model import (
    ContractError,
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
from contracts.drivers._client import ClientAdapter, text_of
from contracts.drivers._openai_python import _failure


def _usage(metadata: Any) -> Usage | None:
    if not metadata:
        return None
    return Usage(
        prompt_tokens=metadata.get("input_tokens"),
        completion_tokens=metadata.get("output_tokens"),
        total_tokens=metadata.get("total_tokens"),
    )


def _reasoning(message: Any) -> str:
    extra = message.additional_kwargs or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    return value if isinstance(value, str) else ""


def _calls(message: Any) -> list[ToolCallDelta]:
    """The tool calls langchain parsed (valid ones, then the ones it could not parse)."""
    calls = [(call["id"], call["name"], json.dumps(call["args"])) for call in message.tool_calls]
    calls += [
        (call.get("id"), call.get("name") or "", call.get("args") or "")
        for call in message.invalid_tool_calls
    ]
    return [
        ToolCallDelta(index=index, id=call_id or None, name=name, arguments=arguments)
        for index, (call_id, name, arguments) in enumerate(calls)
    ]


class LangChainOpenAIAdapter(ClientAdapter):
    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self.http = target.httpx2_client()

    def _model(self, request: Request) -> Any:
        from langchain_openai import ChatOpenAI

        options: dict[str, Any] = {}
        if request.max_tokens is not None:
            options["max_tokens"] = request.max_tokens
        model: Any = ChatOpenAI(
            model=self.target.model,
            base_url=self.target.base_url,
            api_key=self.target.api_key or "unused",
            http_async_client=self.http,
            max_retries=0,
            timeout=self.target.timeout,
            **options,
        )
        if request.tools is not None:
            extra: dict[str, Any] = {}
            if request.parallel_tool_calls is not None:
                extra["parallel_tool_calls"] = request.parallel_tool_calls
            model = model.bind_tools(list(request.tools), tool_choice=request.tool_choice, **extra)
        return model

    async def aclose(self) -> None:
        await self.http.aclose()

    def _failure(self, exc: Exception) -> ContractError | None:
        return _failure(exc)

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        model = self._model(request)
        messages = list(request.messages)
        if not request.stream:
            message = await model.ainvoke(messages)
            if reasoning := _reasoning(message):
                yield ReasoningDelta(text=reasoning)
            if text := text_of(message.content):
                yield TextDelta(text=text)
            for delta in _calls(message):
                yield delta
            if (usage := _usage(message.usage_metadata)) is not None:
                yield UsageReport(usage=usage)
            yield Finish(reason=message.response_metadata.get("finish_reason"))
            return
        gathered: Any = None  # chunks added up, as langchain users do to read tool calls
        async for chunk in model.astream(messages):
            gathered = chunk if gathered is None else gathered + chunk
            if reasoning := _reasoning(chunk):
                yield ReasoningDelta(text=reasoning)
            if text := text_of(chunk.content):
                yield TextDelta(text=text)
        if gathered is None:
            yield Finish(reason=None)
            return
        for delta in _calls(gathered):
            yield delta
        if (usage := _usage(gathered.usage_metadata)) is not None:
            yield UsageReport(usage=usage)
        yield Finish(reason=gathered.response_metadata.get("finish_reason"))

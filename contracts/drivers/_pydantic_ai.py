"""An adapter for pydantic-ai: an ``Agent`` on an ``OpenAIChatModel`` with an OpenAI provider.

The caller's messages become the agent's message history; the caller's tools become an
``ExternalToolset``, so a tool call ends the run as ``DeferredToolRequests`` (the agent does
not execute anything). Streams use ``Agent.run_stream_events``. The provider gets an
``AsyncOpenAI`` routed in-process, with retries off like the openai-python adapter.
pydantic-ai's finish reasons (OpenTelemetry names) are translated back to the wire's names.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import orjson

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
from contracts.drivers._client import ClientAdapter, text_of
from contracts.drivers._openai_python import _failure as _openai_failure

# pydantic-ai FinishReason -> chat completions finish_reason
_FINISH = {"stop": "stop", "length": "length", "tool_call": "tool_calls"}


def _history(messages: tuple[dict[str, Any], ...]) -> list[Any]:
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ThinkingPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    history: list[Any] = []
    names: dict[str, str] = {}
    for message in messages:
        role = message.get("role")
        content = text_of(message.get("content"))
        if role in ("system", "developer"):
            history.append(ModelRequest(parts=[SystemPromptPart(content=content)]))
        elif role == "user":
            history.append(ModelRequest(parts=[UserPromptPart(content=content)]))
        elif role == "assistant":
            parts: list[Any] = []
            reasoning = message.get("reasoning") or message.get("reasoning_content")
            if reasoning:
                parts.append(ThinkingPart(content=str(reasoning)))
            if content:
                parts.append(TextPart(content=content))
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                names[call.get("id", "")] = function.get("name", "")
                parts.append(
                    ToolCallPart(
                        tool_name=function.get("name", ""),
                        args=function.get("arguments"),
                        tool_call_id=call.get("id", ""),
                    )
                )
            history.append(ModelResponse(parts=parts))
        elif role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            history.append(
                ModelRequest(
                    parts=[
                        ToolReturnPart(
                            tool_name=names.get(call_id, ""), content=content, tool_call_id=call_id
                        )
                    ]
                )
            )
    return history


def _args(args: Any) -> str:
    if args is None:
        return ""
    return args if isinstance(args, str) else json.dumps(args)


def _usage(usage: Any) -> Usage:
    return Usage(
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
    )


def _finish(response: Any) -> str | None:
    reason = response.finish_reason
    return None if reason is None else _FINISH.get(str(reason), str(reason))


class PydanticAIAdapter(ClientAdapter):
    def __init__(self, target: Target) -> None:
        super().__init__(target)
        import openai

        self.client = openai.AsyncOpenAI(
            base_url=target.base_url,
            api_key=target.api_key or "unused",
            http_client=target.httpx2_client(),
            max_retries=0,
        )

    async def aclose(self) -> None:
        await self.client.close()

    def _agent(self, request: Request) -> tuple[Any, dict[str, Any]]:
        from pydantic_ai import Agent, DeferredToolRequests
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider
        from pydantic_ai.tools import ToolDefinition
        from pydantic_ai.toolsets import ExternalToolset

        model = OpenAIChatModel(
            self.target.model, provider=OpenAIProvider(openai_client=self.client)
        )
        settings: dict[str, Any] = {}
        if request.max_tokens is not None:
            settings["max_tokens"] = request.max_tokens
        if request.parallel_tool_calls is not None:
            settings["parallel_tool_calls"] = request.parallel_tool_calls
        if isinstance(request.tool_choice, str):
            settings["tool_choice"] = request.tool_choice
        elif isinstance(request.tool_choice, dict):
            settings["tool_choice"] = [request.tool_choice["function"]["name"]]
        toolsets = []
        if request.tools:
            definitions = [
                ToolDefinition(
                    name=tool["function"]["name"],
                    description=tool["function"].get("description"),
                    parameters_json_schema=tool["function"].get(
                        "parameters", {"type": "object", "properties": {}}
                    ),
                )
                for tool in request.tools
            ]
            toolsets.append(ExternalToolset(definitions))
        agent: Any = Agent(model, output_type=[str, DeferredToolRequests], toolsets=toolsets)
        return agent, {"message_history": _history(request.messages), "model_settings": settings}

    def _failure(self, exc: Exception) -> ContractError | None:
        from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError

        if isinstance(exc, ModelHTTPError):
            body = exc.body if isinstance(exc.body, bytes | str) else orjson.dumps(exc.body)
            raw = body.encode() if isinstance(body, str) else body
            failure = classify(exc.status_code, raw)
            return ContractError(failure.kind, failure.message, failure.status)
        cause = exc.__cause__
        if isinstance(cause, Exception) and (mapped := _openai_failure(cause)) is not None:
            return mapped
        if isinstance(exc, ModelAPIError):
            return ContractError(ErrorKind.SERVER, exc.message)
        return _openai_failure(exc)

    async def _events(self, request: Request) -> AsyncIterator[Event]:
        agent, options = self._agent(request)
        if not request.stream:
            result = await agent.run(**options)
            for event in _response_events(result.response):
                yield event
            return
        from pydantic_ai import AgentRunResultEvent
        from pydantic_ai.messages import (
            PartDeltaEvent,
            PartStartEvent,
            TextPart,
            TextPartDelta,
            ThinkingPart,
            ThinkingPartDelta,
            ToolCallPart,
            ToolCallPartDelta,
        )

        response = None
        async with agent.run_stream_events(**options) as events:
            async for event in events:
                if isinstance(event, PartStartEvent):
                    part = event.part
                    if isinstance(part, TextPart) and part.content:
                        yield TextDelta(text=part.content)
                    elif isinstance(part, ThinkingPart) and part.content:
                        yield ReasoningDelta(text=part.content)
                    elif isinstance(part, ToolCallPart):
                        yield ToolCallDelta(
                            index=event.index,
                            id=part.tool_call_id or None,
                            name=part.tool_name,
                            arguments=_args(part.args),
                        )
                elif isinstance(event, PartDeltaEvent):
                    delta = event.delta
                    if isinstance(delta, TextPartDelta) and delta.content_delta:
                        yield TextDelta(text=delta.content_delta)
                    elif isinstance(delta, ThinkingPartDelta) and delta.content_delta:
                        yield ReasoningDelta(text=delta.content_delta)
                    elif isinstance(delta, ToolCallPartDelta):
                        yield ToolCallDelta(
                            index=event.index,
                            id=delta.tool_call_id or None,
                            name=delta.tool_name_delta or None,
                            arguments=_args(delta.args_delta),
                        )
                elif isinstance(event, AgentRunResultEvent):
                    response = event.result.response
        if response is not None:
            yield UsageReport(usage=_usage(response.usage))
            yield Finish(reason=_finish(response))


def _response_events(response: Any) -> list[Event]:
    from pydantic_ai.messages import TextPart, ThinkingPart, ToolCallPart

    found: list[Event] = []
    calls = 0
    for part in response.parts:
        if isinstance(part, ThinkingPart) and part.content:
            found.append(ReasoningDelta(text=part.content))
        elif isinstance(part, TextPart) and part.content:
            found.append(TextDelta(text=part.content))
        elif isinstance(part, ToolCallPart):
            found.append(
                ToolCallDelta(
                    index=calls,
                    id=part.tool_call_id or None,
                    name=part.tool_name,
                    arguments=_args(part.args),
                )
            )
            calls += 1
    found.append(UsageReport(usage=_usage(response.usage)))
    found.append(Finish(reason=_finish(response)))
    return found

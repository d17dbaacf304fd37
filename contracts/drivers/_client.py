"""What every client-library adapter shares: the call shape and the error mapping hook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from contracts._collect import collect
from contracts._model import ContractError, EndpointUsed, Event, Request, Result, ToolCallDelta
from contracts._target import Target


class ClientAdapter:
    """Runs one call through a client library; ``_events`` yields what the client reported.

    Subclasses map the client's exceptions in ``_failure`` (``None``: not a classified
    failure, so it is a crash, as it would be for the application using the client).
    """

    path = "/chat/completions"

    def __init__(self, target: Target) -> None:
        self.target = target

    async def complete(self, request: Request) -> Result:
        return await collect(self._guarded(request.model_copy(update={"stream": False})))

    def stream(self, request: Request) -> AsyncIterator[Event]:
        return self._guarded(request.model_copy(update={"stream": True}))

    async def aclose(self) -> None:
        return None

    async def _guarded(self, request: Request) -> AsyncIterator[Event]:
        try:
            yield EndpointUsed(path=self.path)
            async for event in self._events(request):
                yield event
        except ContractError:
            raise
        except Exception as exc:
            mapped = self._failure(exc)
            if mapped is None:
                raise
            raise mapped from None

    def _events(self, request: Request) -> AsyncIterator[Event]:
        raise NotImplementedError

    def _failure(self, exc: Exception) -> ContractError | None:
        raise NotImplementedError


def openai_tool_calls(calls: Any) -> list[ToolCallDelta]:
    """Tool calls of a whole (non-streamed) OpenAI-shaped message, indexed by position."""
    found: list[ToolCallDelta] = []
    for index, call in enumerate(calls or []):
        function = getattr(call, "function", None)
        found.append(
            ToolCallDelta(
                index=index,
                id=getattr(call, "id", None) or None,
                name=getattr(function, "name", None) or "",
                arguments=getattr(function, "arguments", None) or "",
            )
        )
    return found


def text_of(content: Any) -> str:
    """A message's text: a string, or the text blocks of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(block.get("text", "")) if isinstance(block, dict) else str(block)
            for block in content
            if not isinstance(block, dict) or block.get("type", "text") == "text"
        )
    return ""

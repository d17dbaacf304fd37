"""The plain-httpx reference drivers: correct, responses-only and the seed's naive chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from contracts._classify import classify
from contracts._collect import collect
from contracts._model import (
    ContractError,
    Endpoint,
    EndpointUsed,
    ErrorKind,
    Event,
    Finish,
    ReasoningDelta,
    Request,
    Result,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
    UsageReport,
)
from contracts._target import Target
from contracts.drivers._chat import (
    CHAT_PATH,
    chat_body_events,
    chat_payload,
    chat_stream,
    raise_for_status,
)
from contracts.drivers._responses import (
    RESPONSES_PATH,
    responses_body_events,
    responses_payload,
    responses_stream,
)

FALLBACK_KINDS = frozenset({ErrorKind.ENDPOINT_UNSUPPORTED})


class OpenAICompatibleDriver:
    """The correct driver: chat completions by default, ``responses`` or ``auto`` on request.

    ``auto`` tries /responses and falls back to chat on 404/405/501 (the route is missing),
    never on a server error. Streams ask for usage and survive its absence; a backend that
    rejects ``stream_options`` gets the request again without it.
    """

    def __init__(self, target: Target, endpoint: Endpoint = "chat") -> None:
        self.target = target
        self.endpoint: Endpoint = endpoint
        self.client = target.httpx_client()

    def _endpoint_for(self, request: Request) -> Endpoint:
        return request.endpoint or self.endpoint

    async def complete(self, request: Request) -> Result:
        return await collect(self._run(request.model_copy(update={"stream": False})))

    def stream(self, request: Request) -> AsyncIterator[Event]:
        return self._run(request.model_copy(update={"stream": True}))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _run(self, request: Request) -> AsyncIterator[Event]:
        endpoint = self._endpoint_for(request)
        if endpoint in ("responses", "auto"):
            try:
                async for event in self._responses(request):
                    yield event
                return
            except ContractError as exc:
                if endpoint == "responses" or exc.failure.kind not in FALLBACK_KINDS:
                    raise
        async for event in self._chat(request):
            yield event

    async def _responses(self, request: Request) -> AsyncIterator[Event]:
        payload = responses_payload(request, self.target.model)
        url = self.target.base_url + RESPONSES_PATH
        async with self.client.stream(
            "POST", url, json=payload, headers=self.target.headers
        ) as response:
            await raise_for_status(response)
            yield EndpointUsed(path=RESPONSES_PATH)
            if request.stream:
                async for event in responses_stream(response):
                    yield event
            else:
                for event in responses_body_events(await response.aread()):
                    yield event

    async def _chat(self, request: Request) -> AsyncIterator[Event]:
        url = self.target.base_url + CHAT_PATH
        for ask_usage in (True, False):
            payload = chat_payload(request, self.target.model, stream_usage=ask_usage)
            async with self.client.stream(
                "POST", url, json=payload, headers=self.target.headers
            ) as response:
                if response.status_code in (400, 422) and "stream_options" in payload:
                    body = await response.aread()
                    if b"stream_options" in body:
                        continue  # this backend rejects the field: ask again without it
                    failure = classify(response.status_code, body)
                    raise ContractError(failure.kind, failure.message, failure.status)
                await raise_for_status(response)
                yield EndpointUsed(path=CHAT_PATH)
                if request.stream:
                    async for event in chat_stream(response):
                        yield event
                else:
                    for event in chat_body_events(await response.aread()):
                        yield event
                return


class ResponsesOnlyDriver(OpenAICompatibleDriver):
    """The seed's first driver: every call goes to /v1/responses, whatever the caller wants."""

    def __init__(self, target: Target) -> None:
        super().__init__(target, endpoint="responses")

    def _endpoint_for(self, request: Request) -> Endpoint:
        return "responses"


class NaiveChatDriver:
    """The seed's workaround driver: chat completions, written for the happy path.

    It passes the caller's request through as given, never asks for stream usage, reads
    ``data: `` lines only, and takes usage from the last chunk as if it were always there:
    on a stream without usage it crashes before returning anything, as prism #900 did.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = target.httpx_client()

    def _payload(self, request: Request, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.target.model, "messages": list(request.messages)}
        if request.tools is not None:
            body["tools"] = list(request.tools)
        if request.tool_choice is not None:
            body["tool_choice"] = request.tool_choice
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if stream:
            body["stream"] = True
        return body

    async def complete(self, request: Request) -> Result:
        url = self.target.base_url + CHAT_PATH
        response = await self.client.post(
            url, json=self._payload(request, False), headers=self.target.headers
        )
        if response.status_code >= 400:
            failure = classify(response.status_code, response.content)
            return Result(error=failure, endpoint=CHAT_PATH)
        body = response.json()
        message = body["choices"][0]["message"]
        usage = body["usage"]
        return Result(
            text=message.get("content") or "",
            reasoning=message.get("reasoning_content") or "",
            tool_calls=tuple(
                ToolCall(
                    id=call["id"],
                    name=call["function"]["name"],
                    arguments=call["function"]["arguments"],
                )
                for call in message.get("tool_calls") or []
            ),
            finish_reason=body["choices"][0]["finish_reason"],
            usage=Usage(
                prompt_tokens=usage["prompt_tokens"],
                completion_tokens=usage["completion_tokens"],
                total_tokens=usage["total_tokens"],
            ),
            endpoint=CHAT_PATH,
        )

    async def stream(self, request: Request) -> AsyncIterator[Event]:
        url = self.target.base_url + CHAT_PATH
        async with self.client.stream(
            "POST", url, json=self._payload(request, True), headers=self.target.headers
        ) as response:
            await raise_for_status(response)
            yield EndpointUsed(path=CHAT_PATH)
            last: dict[str, Any] = {}
            finish = None
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[len("data: ") :]
                if data == "[DONE]":
                    break
                last = orjson.loads(data)
                for choice in last.get("choices") or []:
                    delta = choice["delta"]
                    if delta.get("reasoning_content"):
                        yield ReasoningDelta(text=delta["reasoning_content"])
                    if delta.get("content"):
                        yield TextDelta(text=delta["content"])
                    for call in delta.get("tool_calls") or []:
                        function = call.get("function", {})
                        yield ToolCallDelta(
                            index=call["index"],
                            id=call.get("id"),
                            name=function.get("name"),
                            arguments=function.get("arguments", ""),
                        )
                    finish = choice.get("finish_reason") or finish
            usage = last["usage"]  # the seed's bug: assumes the last chunk carries usage
            yield UsageReport(
                usage=Usage(
                    prompt_tokens=usage["prompt_tokens"],
                    completion_tokens=usage["completion_tokens"],
                    total_tokens=usage["total_tokens"],
                )
            )
            yield Finish(reason=finish)

    async def aclose(self) -> None:
        await self.client.aclose()

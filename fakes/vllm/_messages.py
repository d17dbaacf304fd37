"""/v1/messages and /v1/messages/count_tokens: the Anthropic body is validated (a bad one is
vLLM's own OpenAI-shaped 400, FastAPI validates before the handler), translated to a chat
request, planned and written like chat, and the result turned into Anthropic's shapes."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

from fakes.http import sse
from fakes.http.eventstream import EventStreamResponse
from fakes.model import tokens
from fakes.vllm import _checks, _engine, _routes
from fakes.vllm._plan import Limits, plan_reply
from fakes.vllm._requests import validate
from fakes.vllm._state import VllmState
from fakes.vllm.wire import chat as chat_wire
from fakes.vllm.wire import messages as wire
from fakes.vllm.wire import messages_stream
from fakes.vllm.wire.errors import VllmError


class MessagesRequest(BaseModel):
    """The fields vLLM's AnthropicMessagesRequest requires or types (protocol.py)."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    stop_sequences: list[str] | None = None
    stream: bool | None = False
    system: str | list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None


class CountTokensRequest(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    model: str
    messages: list[dict[str, Any]]


async def _body(state: VllmState, request: Request, kind: type[BaseModel]) -> dict[str, Any]:
    # Anthropic's model is always required: the chat request's model_required knob is not
    knobs = state.knobs.model_copy(update={"model_required": False})
    body, _ = validate(
        knobs,
        await request.body(),
        kind,
        content_type=request.headers.get("content-type"),
        where=state.where(request.method, request.url.path),
    )
    return body


async def messages(request: Request) -> _routes.Answer:
    return await _routes._answer(_messages, request)


async def count_tokens(request: Request) -> _routes.Answer:
    return await _routes._answer(_count_tokens, request)


async def _count_tokens(state: VllmState, request: Request) -> _routes.Answer:
    body = await _body(state, request, CountTokensRequest)
    chat = wire.chat_request(state.knobs, {**body, "max_tokens": None})
    try:
        _checks.model_name(state, chat)
    except VllmError as error:
        return wire.error_response(state.knobs, error.status, error.type, error.message)
    counted = tokens.prompt_tokens(chat["messages"])
    return _routes._json(
        {"input_tokens": counted, "context_management": {"original_input_tokens": counted}}
    )


async def _messages(state: VllmState, request: Request) -> _routes.Answer:
    started = time.monotonic()
    body = await _body(state, request, MessagesRequest)
    chat = wire.chat_request(state.knobs, body)
    try:
        return await _reply(state, request, chat, started)
    except VllmError as error:
        return wire.error_response(state.knobs, error.status, error.type, error.message)


async def _reply(
    state: VllmState, request: Request, chat: dict[str, Any], started: float
) -> _routes.Answer:
    """The chat completion vLLM runs for the translated request, then converted."""
    knobs, config = state.knobs, state.config
    model = _checks.model_name(state, chat)
    tool_choice = chat.get("tool_choice")
    _checks.check_tool_choice(knobs, config.auto_tools, tool_choice)
    prompt = tokens.prompt_tokens(chat["messages"])
    max_tokens = chat["max_tokens"]
    _checks.check_context(state, prompt, max_tokens)
    fault, reply = _routes._arrange(state, request, chat)
    limits = Limits(max_tokens, config.max_model_len, prompt, list(chat.get("stop") or []))
    parser_on = config.reasoning_parser is not None and bool(knobs.reasoning_keys)
    plan = plan_reply(
        reply,
        state.player,
        chat,
        limits,
        tool_choice=tool_choice,
        tools_allowed=knobs.tools,
        reasoning_parser=parser_on,
        new_tool_id=lambda: knobs.tool_call_id_prefix + state.new_hex(),
    )
    chat_id = _routes._request_id(state, request, knobs.chat_id_prefix)
    created = int(time.time())
    state.metrics.observe_model(model)
    fingerprint = _routes._fingerprint(state)
    if not chat.get("stream"):
        async with state.scheduler.slot():
            await _engine.wait_like_generation(state, fault, [plan])
        _engine.finished(state, model, [plan], started, time.monotonic() - started)
        completion = chat_wire.completion_body(
            knobs, id=chat_id, created=created, model=model, plans=[plan], fingerprint=fingerprint
        )
        return _routes._json(wire.message_body(knobs, completion))
    policy = chat_wire.StreamUsagePolicy.decide(knobs, chat.get("stream_options"))
    writer = chat_wire.ChunkWriter(
        knobs,
        id=chat_id,
        created=created,
        model=model,
        policy=policy,
        prompt_tokens=prompt,
        fingerprint=fingerprint,
    )
    written = chat_wire.chunks(writer, knobs, [plan], policy, tool_parser=config.auto_tools)
    events = messages_stream.events(knobs, written)
    done = events.pop() if events[-1] == sse.DONE else None
    return EventStreamResponse(
        _engine.paced(
            state,
            fault,
            events,
            started=started,
            model=model,
            plans=[plan],
            done=done,
            error_payload=None,
        )
    )

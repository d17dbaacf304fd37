"""The fake SGLang's endpoints: read and check the request, plan the reply, hand the plan to
the wire writer and pace what it wrote."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncGenerator
from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.model.faults import FAULT_HEADER, Fault, FaultHeaderError, FaultKind
from fakes.model.timing import Pace
from fakes.sglang import _checks
from fakes.sglang._plan import Plan, plan_reply
from fakes.sglang._state import SglangState
from fakes.sglang.wire import chat as chat_wire
from fakes.sglang.wire import models as models_wire
from fakes.sglang.wire.errors import (
    JSON,
    SglangError,
    error_response,
    plain_500,
    stream_error_payload,
)


def _state(request: Request) -> SglangState:
    state: SglangState = request.app.state.fake
    return state


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


async def health(request: Request) -> Response:
    return Response(status_code=200)


async def models(request: Request) -> Response:
    state = _state(request)
    config = state.config
    listing = models_wire.model_list(
        state.knobs, config.served_model_name, config.context_length, int(time.time())
    )
    return _json(listing)


async def model_info(request: Request) -> Response:
    state = _state(request)
    config = state.config
    info = models_wire.model_info(
        state.knobs,
        config.path,
        config.served_model_name,
        config.tool_call_parser,
        config.reasoning_parser,
    )
    return _json(info)


def _tool_id(state: SglangState) -> str:
    if state.knobs.tool_call_id == "call_b64":
        return "call_" + base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    return f"call_{uuid.uuid4().hex[:24]}"


def _error_type(status: int) -> str:
    # the err_type names serving_base and the tokenizer manager's aborts use
    return {400: "BadRequestError", 500: "InternalServerError"}.get(status, HTTPStatus(status).name)


def _fault(state: SglangState, request: Request) -> Fault | None:
    try:
        return state.faults.pick(request.scope["path"], request.headers.get(FAULT_HEADER))
    except FaultHeaderError as exc:
        raise SglangError(str(exc)) from None


async def chat_completions(request: Request) -> Response | EventStreamResponse:
    state = _state(request)
    try:
        return await _chat(state, request)
    except SglangError as error:
        return error_response(error)
    except _checks.Unhandled:
        return plain_500()


async def _chat(state: SglangState, request: Request) -> Response | EventStreamResponse:
    body = await _checks.read_chat(state, request)
    fault = _fault(state, request)
    if fault is not None and fault.kind is FaultKind.HTTP_ERROR:
        raise SglangError(fault.message, fault.status, _error_type(fault.status))
    reply = state.player.choose(body, request.scope["path"])
    if reply is not None and reply.error is not None:
        error = reply.error
        raise SglangError(error.message, error.status, error.type or "BadRequestError", error.param)
    config = state.config
    plan = plan_reply(
        reply,
        state.player,
        body,
        eos_token_id=config.eos_token_id,
        tool_parser=config.tool_call_parser is not None,
        reasoning_parser=config.reasoning_parser is not None
        and body.get("separate_reasoning", True) is not False,
    )
    frame = chat_wire.Frame(uuid.uuid4().hex, int(time.time()), str(body.get("model")))
    tool_ids = [_tool_id(state) for _ in plan.tool_calls]
    if not body.get("stream"):
        await _generation_time(state, fault, plan)
        answer = chat_wire.body(state.knobs, frame, plan, tool_ids, tool_parser=True)
        return _json(answer)
    options = body.get("stream_options") or {}
    events = chat_wire.stream(
        state.knobs,
        frame,
        plan,
        tool_ids,
        include_usage=bool(options.get("include_usage")),
        continuous=bool(options.get("continuous_usage_stats")),
    )
    return EventStreamResponse(_paced(state, fault, events))


async def _generation_time(state: SglangState, fault: Fault | None, plan: Plan) -> None:
    if fault is not None and fault.kind in (FaultKind.DELAY, FaultKind.STALL):
        await asyncio.sleep(fault.seconds)
    if state.clock.timing.instant:
        return
    pace = Pace()
    await pace.first_token(state.clock)
    for _ in range(max(plan.completion_tokens - 1, 0)):
        await pace.next_token(state.clock)


async def _paced(
    state: SglangState, fault: Fault | None, events: list[bytes]
) -> AsyncGenerator[bytes | _Cut, None]:
    pace = Pace()
    async with state.scheduler.slot() as waited:
        if fault is not None and fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
        await pace.first_token(state.clock, None if waited else time.monotonic())
        for position, event in enumerate(events):
            if fault is not None and position == fault.after_chunks:
                if fault.kind is FaultKind.ERROR_FRAME:
                    # an abort with an HTTPStatus: err_type is its name (serving_chat.py:2568)
                    status = HTTPStatus(fault.status)
                    error = SglangError(fault.message, status.value, status.name)
                    yield b"data: " + stream_error_payload(error) + b"\n\n"
                    yield chat_wire.DONE
                    return
                if fault.kind is FaultKind.CUT:
                    yield CUT
                    return
                if fault.kind is FaultKind.STALL:
                    await asyncio.sleep(fault.seconds)
                    pace.restart()
            if position and not state.clock.timing.instant:
                await pace.next_token(state.clock)
            yield event
        yield chat_wire.DONE

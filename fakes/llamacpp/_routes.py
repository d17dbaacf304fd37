"""llama-server's OpenAI-compatible routes: read the body, plan, write, pace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.llamacpp import wire
from fakes.llamacpp._plan import Plan, plan_reply
from fakes.llamacpp._state import LlamacppState
from fakes.model.faults import FAULT_HEADER, Fault, FaultHeaderError, FaultKind
from fakes.model.timing import Pace
from fakes.profiles._llamacpp import ToolSupport

Answer = Response | EventStreamResponse


class LlamacppError(Exception):
    """Answered as {"error": {code, message, type}} with ``code`` as the status."""

    def __init__(
        self, message: str, status: int = 500, kind: str | None = None, order: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.body = wire.error_body(message, status, kind, order)
        self.status = status


def error_response(error: LlamacppError) -> Response:
    return _json({"error": error.body}, error.status)


def _json(body: Any, status: int = 200) -> Response:
    return Response(wire.dump(body), status_code=status, media_type=wire.JSON)


def _state(request: Request) -> LlamacppState:
    state: LlamacppState = request.app.state.fake
    return state


# --- plain GET routes -------------------------------------------------------------------------


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


async def models(request: Request) -> Response:
    """One card: llama-server serves one model (its meta describes the GGUF; the fake's is a
    stand-in of the same shape)."""
    state = _state(request)
    config, knobs = state.config, state.knobs
    meta: dict[str, Any] = {"vocab_type": 1, "n_vocab": 32000}
    if knobs.models_aliases:
        meta["n_ctx"] = config.ctx_size
    meta |= {"n_ctx_train": config.ctx_size, "n_embd": 4096}
    if knobs.models_aliases:
        meta |= {"n_params": 6_738_415_616, "size": 3_825_065_984, "ftype": "Q4_K - Medium"}
    card: dict[str, Any] = {"id": config.model_name}
    if knobs.models_aliases:
        card["aliases"] = [config.alias] if config.alias else []
        card["tags"] = []
    card["object"] = "model"
    if knobs.models_aliases:
        card["architecture"] = {"input_modalities": ["text"], "output_modalities": ["text"]}
    card |= {"created": int(time.time()), "owned_by": "llamacpp", "meta": meta}
    body: dict[str, Any] = {}
    if knobs.models_ollama_list:  # server-context.cpp:4920-4945, dummy values but the name
        details = {"parent_model": "", "format": "gguf", "family": "", "families": [""]}
        details |= {"parameter_size": "", "quantization_level": ""}
        body["models"] = [
            {
                "name": config.model_name,
                "model": config.model_name,
                "modified_at": "",
                "size": "",
                "digest": "",
                "type": "model",
                "description": "",
                "tags": [""],
                "capabilities": ["completion"],
                "parameters": "",
                "details": details,
            }
        ]
    body |= {"object": "list", "data": [card]}
    return _json(body)


async def props(request: Request) -> Response:
    state = _state(request)
    config = state.config
    body = {
        "default_generation_settings": {"n_ctx": config.ctx_size, "model": config.model_path},
        "total_slots": config.parallel,
        "model_path": config.model_path,
        "build_info": state.fingerprint,
    }
    return _json(body)


async def slots(request: Request) -> Response:
    state = _state(request)
    if not state.slots:
        raise_unsupported("This server does not support slots endpoint. Start it with `--slots`")
    running = state.scheduler.running
    body = [
        {"id": slot, "n_ctx": state.config.ctx_size, "is_processing": slot < running}
        for slot in range(state.config.parallel)
    ]
    return _json(body)


async def metrics(request: Request) -> Response:
    state = _state(request)
    if not state.config.metrics:
        raise_unsupported(
            "This server does not support metrics endpoint. Start it with `--metrics`"
        )
    items = (  # the ones the fake knows, as server-task.cpp:1535-1612 writes each
        ("tokens_predicted_total", "Number of generation tokens processed", "counter",
         state.tokens_predicted_total),
        ("requests_processing", "Number of requests processing", "gauge",
         state.scheduler.running),
        ("requests_deferred", "Number of requests deferred", "gauge", state.scheduler.waiting),
    )  # fmt: skip
    text = "".join(
        f"# HELP llamacpp:{name} {help}\n# TYPE llamacpp:{name} {kind}\nllamacpp:{name} {value}\n"
        for name, help, kind, value in items
    )
    return Response(text, media_type="text/plain; version=0.0.4")


def raise_unsupported(message: str) -> None:
    raise LlamacppError(message, 501)


# --- completions ------------------------------------------------------------------------------


async def chat_completions(request: Request) -> Answer:
    return await _complete(request, chat=True)


async def completions(request: Request) -> Answer:
    return await _complete(request, chat=False)


async def _read(state: LlamacppState, request: Request) -> dict[str, Any]:
    raw = await request.body()
    status = state.knobs.parse_error_status
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise LlamacppError(
            "[json.exception.parse_error.101] parse error: syntax error while parsing value",
            status,
        ) from None
    if not isinstance(body, dict):
        raise LlamacppError("[json.exception.type_error.302] type must be object", status)
    return body


def _check_chat(state: LlamacppState, body: dict[str, Any]) -> None:
    """oaicompat_chat_params_parse: its runtime_errors reach the exception handler (500)."""
    messages = body.get("messages")
    if messages is None:
        knobs = state.knobs
        raise LlamacppError(knobs.missing_messages, knobs.missing_messages_status)
    if not isinstance(messages, list):
        raise LlamacppError("Expected 'messages' to be an array", 500)
    tools = body.get("tools")
    has_tools = isinstance(tools, list) and bool(tools)
    support = state.knobs.tools
    if support is ToolSupport.UNSUPPORTED:
        for param in ("tools", "tool_choice"):
            if param in body:
                raise LlamacppError(f"Unsupported param: {param}", 500)
        return
    if has_tools and support is ToolSupport.JINJA_PLAIN and body.get("stream"):
        raise LlamacppError("Cannot use tools with stream", 500)
    if not state.jinja:
        if has_tools:
            raise LlamacppError("tools param requires --jinja flag", 500)
        choice = body.get("tool_choice")
        if choice not in (None, "auto"):
            raise LlamacppError("tool_choice param requires --jinja flag", 500)


async def _complete(request: Request, *, chat: bool) -> Answer:
    state = _state(request)
    started = time.monotonic()
    try:
        body = await _read(state, request)
        if chat:
            _check_chat(state, body)
        elif "prompt" not in body:
            raise LlamacppError('"prompt" must be provided', 400)
        fault = _fault(state, request)
        reply = state.player.choose(body, request.url.path)
        if reply is not None and reply.error is not None:
            raise LlamacppError(reply.error.message, reply.error.status, reply.error.type)
    except LlamacppError as error:
        return error_response(error)
    knobs = state.knobs
    stream = bool(body.get("stream"))
    split = state.jinja and state.config.reasoning_format != "none"
    plan = plan_reply(
        reply,
        state.player,
        body,
        tools_on=chat and state.jinja and knobs.tools is not ToolSupport.UNSUPPORTED,
        split_reasoning=chat and split and (knobs.reasoning_stream or not stream),
        new_id=state.random_string,
    )
    model = state.config.model_name
    if knobs.model_from_request:
        model = str(body.get("model") or knobs.default_model or model)
    # gen_chatcmplid() for /v1/completions too (seen on b11434)
    fingerprint = state.fingerprint if knobs.system_fingerprint else None
    frame = wire.Frame("chatcmpl-" + state.random_string(), model, int(time.time()), fingerprint)
    if not stream:
        return await _plain(state, fault, frame, plan, started, chat=chat)
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
    events = _stream(state, fault, frame, plan, started, chat=chat, include_usage=include_usage)
    return EventStreamResponse(events, headers=[(b"content-type", b"text/event-stream")])


def _fault(state: LlamacppState, request: Request) -> Fault | None:
    try:
        fault = state.faults.pick(request.url.path, request.headers.get(FAULT_HEADER))
    except FaultHeaderError as exc:
        raise LlamacppError(str(exc), 400) from None
    if fault is not None and fault.kind is FaultKind.HTTP_ERROR:
        raise LlamacppError(fault.message, fault.status)
    return fault


def _timings(state: LlamacppState, plan: Plan, started: float, first: float) -> wire.Timings | None:
    if not state.knobs.timings:
        return None
    now = time.monotonic()
    return wire.Timings(
        prompt_n=plan.prompt_tokens,
        prompt_ms=round((first - started) * 1e3, 3),
        predicted_n=plan.completion_tokens,
        predicted_ms=round((now - first) * 1e3, 3),
    )


async def _plain(
    state: LlamacppState,
    fault: Fault | None,
    frame: wire.Frame,
    plan: Plan,
    started: float,
    *,
    chat: bool,
) -> Answer:
    async with state.scheduler.slot() as waited:
        if fault is not None and fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
        pace = Pace()
        await pace.first_token(state.clock, None if waited else started)
        first = time.monotonic()
        for _ in range(max(plan.completion_tokens - 1, 0)):
            await pace.next_token(state.clock)
    _count(state, plan)
    timings = _timings(state, plan, started, first)
    if chat:
        return _json(wire.chat_body(state.knobs, frame, plan, timings))
    return _json(wire.completion_body(state.knobs, frame, plan, timings))


def _count(state: LlamacppState, plan: Plan) -> None:
    state.requests_total += 1
    state.tokens_predicted_total += plan.completion_tokens


def _events(
    state: LlamacppState, frame: wire.Frame, plan: Plan, *, chat: bool
) -> list[dict[str, Any]]:
    """The token chunks, one per generated piece (the final chunks come after timing)."""
    knobs = state.knobs
    if not chat:
        return [wire.completion_chunk(frame, piece, None) for piece in plan.content if piece]
    deltas = wire.token_deltas(knobs, plan)
    return [wire.chunk(frame, delta) for delta in wire.first_deltas(knobs) + deltas]


async def _stream(
    state: LlamacppState,
    fault: Fault | None,
    frame: wire.Frame,
    plan: Plan,
    started: float,
    *,
    chat: bool,
    include_usage: bool,
) -> AsyncGenerator[bytes | _Cut, None]:
    knobs = state.knobs
    chunks = _events(state, frame, plan, chat=chat)
    leading = len(wire.first_deltas(knobs)) if chat else 0
    pace = Pace()
    first = started
    async with state.scheduler.slot() as waited:
        if fault is not None and fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.seconds)
        await pace.first_token(state.clock, None if waited else started)
        first = time.monotonic()
        for position, body in enumerate(chunks):
            if fault is not None and position == fault.after_chunks:
                if fault.kind is FaultKind.ERROR_FRAME:
                    yield wire.stream_error(knobs, wire.error_body(fault.message, fault.status))
                    return
                if fault.kind is FaultKind.CUT:
                    yield CUT
                    return
                if fault.kind is FaultKind.STALL:
                    await asyncio.sleep(fault.seconds)
                    pace.restart()
            # a role chunk leaves with the first token's own
            if position > leading:
                await pace.next_token(state.clock)
            yield wire.sse(body)
    _count(state, plan)
    timings = _timings(state, plan, started, first)
    if chat:
        for body in wire.final_chunks(knobs, frame, plan, timings, include_usage):
            yield wire.sse(body)
    else:
        yield wire.sse(_completion_final(state, frame, plan, timings, include_usage))
    if knobs.done_sentinel:
        yield wire.DONE


def _completion_final(
    state: LlamacppState,
    frame: wire.Frame,
    plan: Plan,
    timings: wire.Timings | None,
    include_usage: bool,
) -> dict[str, Any]:
    """The final result of a streamed completion: its body, with the text already sent."""
    return wire.completion_body(state.knobs, frame, plan, timings, text="")

"""The OpenAI-compatible endpoints of the fake vLLM."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.http import sse
from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.http.metrics import CONTENT_TYPE
from fakes.http.shapes import shaped
from fakes.model import tokens
from fakes.model.faults import FAULT_HEADER, Fault, FaultHeaderError, FaultKind
from fakes.model.script import Reply
from fakes.model.timing import Pace
from fakes.profiles import Knobs, ParserlessToolChoice, ResponsesEventResponse, ResponsesRoute
from fakes.vllm._plan import Limits, Plan, plan_reply
from fakes.vllm._requests import ChatRequest, CompletionRequest, ResponsesRequest, validate
from fakes.vllm._state import VllmState
from fakes.vllm.wire import chat as _chat
from fakes.vllm.wire import responses as _responses_body
from fakes.vllm.wire import responses_stream as _responses_stream
from fakes.vllm.wire.errors import (
    PlainServerError,
    VllmError,
    error_response,
    plain_500,
    stream_error_payload,
)

JSON = "application/json"
Answer = Response | EventStreamResponse


def _state(request: Request) -> VllmState:
    state: VllmState = request.app.state.fake
    return state


def _path(request: Request) -> str:
    # the matched route's literal path; request.url would build and parse a whole URL
    path: str = request.scope["path"]
    return path


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


async def health(request: Request) -> Response:
    return Response(status_code=200)


async def version(request: Request) -> Response:
    return _json({"version": _state(request).version})


async def metrics(request: Request) -> Response:
    return Response(_state(request).metrics.render(), media_type=CONTENT_TYPE)


async def models(request: Request) -> Response:
    state = _state(request)
    knobs, config = state.knobs, state.config
    created = int(time.time())
    root = config.model_path or config.served_model_names[0]
    cards = []
    for name in config.served_model_names:
        permission = {
            "id": f"modelperm-{state.new_hex()}",
            "object": "model_permission",
            "created": created,
            "allow_create_engine": False,
            "allow_sampling": True,
            "allow_logprobs": True,
            "allow_search_indices": False,
            "allow_view": True,
            "allow_fine_tuning": False,
            "organization": "*",
            "group": None,
            "is_blocking": False,
        }
        values = {
            "id": name,
            "object": "model",
            "created": created,
            "owned_by": "vllm",
            "root": root,
            "parent": None,
            "max_model_len": config.max_model_len,
            "permission": [permission],
        }
        cards.append({k: values.get(k) for k in knobs.model_card_keys})
    return _json({"object": "list", "data": cards})


# --- shared request steps -------------------------------------------------------------------


async def _answer(handler: Any, request: Request) -> Answer:
    """Run an endpoint; raised errors become the release's error response."""
    state = _state(request)
    try:
        answer: Answer = await handler(state, request)
        return answer
    except VllmError as error:
        return error_response(state.knobs, error)
    except PlainServerError:
        return plain_500()


def _arrange(
    state: VllmState, request: Request, scripted: dict[str, Any]
) -> tuple[Fault | None, Reply | None]:
    """Pick this request's fault and scripted reply; either may answer with an error now."""
    fault = _fault(state, request)
    if fault is not None and fault.kind is FaultKind.HTTP_ERROR:
        raise _fault_error(fault)
    reply = state.player.choose(scripted, _path(request))
    if reply is not None and reply.error is not None:
        error = reply.error
        raise VllmError(error.message, error.status, error.type, error.param)
    return fault, reply


def _model_name(state: VllmState, body: dict[str, Any]) -> str:
    """vLLM's check_model: an unknown name is a 404 before anything is generated."""
    names = state.config.served_model_names
    requested = body.get("model")
    if requested is None:
        return names[0]
    if requested not in names:
        message = f"The model `{requested}` does not exist."
        if state.knobs.not_found_lists_models:
            message += f" Valid aliases: {', '.join(names)}."
        raise VllmError(message, 404, param="model" if state.knobs.not_found_param else None)
    return requested if state.knobs.echo_requested_model else names[0]


def _fault(state: VllmState, request: Request) -> Fault | None:
    try:
        return state.faults.pick(_path(request), request.headers.get(FAULT_HEADER))
    except FaultHeaderError as exc:
        raise VllmError(str(exc), 400) from None


def _fingerprint(state: VllmState) -> str | None:
    """system_fingerprint's default ("full") mode: vllm-<version>-<8 hex of the config hash>;
    the fake hashes what it is configured with."""
    if not state.knobs.system_fingerprint:
        return None
    config = state.config
    digest = hashlib.sha256(
        "\0".join((config.model_path or "", *config.served_model_names)).encode()
    ).hexdigest()
    return f"vllm-{state.version}-{digest[:8]}"


def _request_id(state: VllmState, request: Request, prefix: str) -> str:
    header = request.headers.get("x-request-id")
    if header and state.knobs.request_id_header:
        return prefix + header
    return prefix + state.new_hex()


def _check_context(state: VllmState, prompt: int, max_tokens: int | None) -> None:
    limit = state.config.max_model_len
    if max_tokens is not None and prompt + max_tokens > limit:
        raise VllmError(
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{prompt + max_tokens} tokens ({prompt} in the messages, {max_tokens} in the "
            "completion). Please reduce the length of the messages or completion.",
            400,
        )
    if prompt >= limit:
        raise VllmError(
            f"This model's maximum context length is {limit} tokens. However, your request "
            f"has {prompt} input tokens. Please reduce the length of the input messages.",
            400,
        )
    if max_tokens is not None and max_tokens < 1:
        # SamplingParams._verify_args (0.4.3 sampling_params.py:227 ... 0.33.0:691): a
        # ValueError the handler turns into a 400
        message = f"max_tokens must be at least 1, got {max_tokens}."
        if state.knobs.parameter_errors:  # a VLLMValidationError from 0.14
            raise VllmError(
                f"{message} (parameter=max_tokens, value={max_tokens})", 400, param="max_tokens"
            )
        raise VllmError(message, 400)


async def _read(request: Request, kind: Any, *, chat: bool = False) -> tuple[dict[str, Any], Any]:
    state = _state(request)
    return validate(
        state.knobs,
        await request.body(),
        kind,
        chat=chat,
        content_type=request.headers.get("content-type"),
    )


def _check_tool_parser(knobs: Knobs, auto_tools: bool, tool_choice: Any) -> None:
    """From 0.14 a named or "required" tool_choice needs a tool parser, and vLLM builds one
    only with both --enable-auto-tool-choice and --tool-call-parser (0.14.0
    serving_engine.py:264-270, 0.34.0 parser/parser_manager.py:34)."""
    style = knobs.parserless_tool_choice
    if auto_tools or style is ParserlessToolChoice.ALLOWED:
        return
    if tool_choice in (None, "none", "auto"):
        return
    if not isinstance(tool_choice, dict):
        described = f'"{tool_choice}"'
    elif style is ParserlessToolChoice.REPR:  # str() of vLLM's ChatCompletionNamedToolChoiceParam
        name = tool_choice["function"]["name"]
        described = f"\"function=ChatCompletionNamedFunction(name={name!r}) type='function'\""
    else:
        described = f'function "{tool_choice["function"]["name"]}"'
    raise VllmError(f"tool_choice={described} requires --tool-call-parser to be set", 400)


def _fault_error(fault: Fault) -> VllmError:
    return VllmError(fault.message, fault.status)


# --- streaming engine -----------------------------------------------------------------------


async def _timed(
    state: VllmState,
    fault: Fault | None,
    chunks: list[bytes],
    *,
    started: float,
    model: str,
    plans: list[Plan],
    done: bytes | _Cut | None,
    error_payload: bytes | None,
) -> AsyncGenerator[bytes | _Cut, None]:
    """Emit prepared events with the fake's timing, injecting a mid-stream fault."""
    first: float | None = None
    pace = Pace()
    async with state.scheduler.slot() as waited:
        delayed = fault is not None and fault.kind is FaultKind.DELAY
        if fault is not None and delayed:
            await asyncio.sleep(fault.seconds)
        await pace.first_token(state.clock, None if waited or delayed else started)
        for position, chunk in enumerate(chunks):
            if fault is not None and position == fault.after_chunks:
                if fault.kind is FaultKind.ERROR_FRAME and error_payload is not None:
                    yield b"data: " + error_payload + b"\n\n"
                    if isinstance(done, bytes):
                        yield done
                    return
                if fault.kind is FaultKind.CUT:
                    yield CUT
                    return
                if fault.kind is FaultKind.STALL:
                    await asyncio.sleep(fault.seconds)
                    pace.restart()
            if position:
                if not state.clock.timing.instant:
                    await pace.next_token(state.clock)
            elif first is None:
                first = time.monotonic() - started
            yield chunk
        if isinstance(done, _Cut):
            _finished(state, model, plans, started, first)  # generated, then the socket drops
            yield done
            return
        if done is not None:
            yield done
        _finished(state, model, plans, started, first)


def _finished(
    state: VllmState, model: str, plans: list[Plan], started: float, first: float | None
) -> None:
    state.metrics.finished(
        model,
        prompt=plans[0].prompt_tokens,
        generated=sum(p.completion_tokens for p in plans),
        reason=plans[0].finish_reason,
        ttft=first,
        e2e=time.monotonic() - started,
    )


async def _wait_like_generation(state: VllmState, fault: Fault | None, plans: list[Plan]) -> None:
    if fault is not None and fault.kind in (FaultKind.DELAY, FaultKind.STALL):
        await asyncio.sleep(fault.seconds)
    if state.clock.timing.instant:
        return  # the profile showed this loop of no-op awaits in every instant answer
    pace = Pace()
    await pace.first_token(state.clock)
    for _ in range(max(p.completion_tokens for p in plans) - 1):
        await pace.next_token(state.clock)


# --- chat completions -----------------------------------------------------------------------


async def chat_completions(request: Request) -> Answer:
    return await _answer(_chat_completions, request)


async def _chat_completions(state: VllmState, request: Request) -> Answer:
    started = time.monotonic()  # arrival: TTFT and latency metrics count from here
    knobs, config = state.knobs, state.config
    body, typed = await _read(request, ChatRequest, chat=True)
    model = _model_name(state, body)
    tool_choice = body.get("tool_choice")
    # only an absent key defaults (protocol.py: '"tool_choice" not in data'); null stays null
    if "tool_choice" not in body and body.get("tools") and knobs.tools_default_auto:
        tool_choice = "auto"
    if tool_choice == "auto" and knobs.auto_tools_need_flags and not config.auto_tools:
        raise VllmError(
            '"auto" tool choice requires --enable-auto-tool-choice and '
            "--tool-call-parser to be set",
            400,
        )
    _check_tool_parser(knobs, config.auto_tools, tool_choice)
    prompt = tokens.prompt_tokens(body["messages"])
    max_tokens = typed.max_completion_tokens or typed.max_tokens
    _check_context(state, prompt, max_tokens)
    fault, reply = _arrange(state, request, body)
    stop = typed.stop if isinstance(typed.stop, list) else [typed.stop] if typed.stop else []
    limits = Limits(max_tokens, config.max_model_len, prompt, stop)
    parser_on = config.reasoning_parser is not None and bool(knobs.reasoning_keys)

    def new_tool_id() -> str:
        return knobs.tool_call_id_prefix + state.new_hex()

    plans = [
        plan_reply(
            reply,
            state.player,
            body,
            limits,
            tool_choice=tool_choice,
            tools_allowed=knobs.tools,
            reasoning_parser=parser_on,
            new_tool_id=new_tool_id,
        )
        for _ in range(typed.n or 1)
    ]
    chat_id = _request_id(state, request, knobs.chat_id_prefix)
    created = int(time.time())
    state.metrics.observe_model(model)
    if not body.get("stream"):
        async with state.scheduler.slot():
            await _wait_like_generation(state, fault, plans)
        if fault is not None and fault.kind in (FaultKind.ERROR_FRAME, FaultKind.CUT):
            raise _fault_error(fault)
        _finished(state, model, plans, started, time.monotonic() - started)
        return _json(
            _chat.completion_body(
                knobs,
                id=chat_id,
                created=created,
                model=model,
                plans=plans,
                fingerprint=_fingerprint(state),
            )
        )
    policy = _chat.StreamUsagePolicy.decide(knobs, body.get("stream_options"))
    writer = _chat.ChunkWriter(
        knobs,
        id=chat_id,
        created=created,
        model=model,
        policy=policy,
        prompt_tokens=prompt,
        fingerprint=_fingerprint(state),
    )
    events = [sse.data(chunk) for chunk in _chat_chunks(writer, knobs, plans, policy)]
    error = VllmError(fault.message, fault.status) if fault else None
    payload = stream_error_payload(knobs, error) if error else None
    return EventStreamResponse(
        _timed(
            state,
            fault,
            events,
            started=started,
            model=model,
            plans=plans,
            done=sse.DONE,
            error_payload=payload,
        )
    )


def _chat_chunks(
    writer: _chat.ChunkWriter, knobs: Any, plans: list[Plan], policy: _chat.StreamUsagePolicy
) -> list[dict[str, Any]]:
    chunks = [writer.role(i) for i in range(len(plans))]
    per_choice = [_chat.stream_steps(knobs, plan, tokens.tokenize) for plan in plans]
    longest = max(len(steps) for steps in per_choice)
    for position in range(longest):  # choices advance together, one engine step at a time
        for index, steps in enumerate(per_choice):
            if position < len(steps) - 1:
                chunks.append(writer.step(index, steps[position]))
            elif position == len(steps) - 1:
                plan = plans[index]
                chunks.append(writer.finish(index, steps[position], plan, plan.completion_tokens))
    if policy.final_chunk:
        completion = sum(p.completion_tokens for p in plans)
        chunks.append(writer.usage_chunk(completion, _chat.reasoning_tokens(knobs, plans)))
    return chunks


# --- completions ----------------------------------------------------------------------------


async def completions(request: Request) -> Answer:
    return await _answer(_completions, request)


async def _completions(state: VllmState, request: Request) -> Answer:
    started = time.monotonic()  # arrival: TTFT and latency metrics count from here
    knobs, config = state.knobs, state.config
    body, typed = await _read(request, CompletionRequest)
    model = _model_name(state, body)
    prompt_text = (
        typed.prompt if isinstance(typed.prompt, str) else " ".join(str(p) for p in typed.prompt)
    )
    prompt = tokens.count(prompt_text)
    max_tokens = typed.max_tokens if typed.max_tokens is not None else 16
    _check_context(state, prompt, max_tokens)
    fault, reply = _arrange(state, request, body)
    stop = typed.stop if isinstance(typed.stop, list) else [typed.stop] if typed.stop else []
    limits = Limits(max_tokens, config.max_model_len, prompt, stop)
    plan = plan_reply(
        reply,
        state.player,
        {"prompt": prompt_text},
        limits,
        tool_choice=None,
        tools_allowed=False,
        reasoning_parser=False,
        new_tool_id=lambda: "",
    )
    plans = [plan] * (typed.n or 1)
    cmpl_id = _request_id(state, request, knobs.completion_id_prefix)
    created = int(time.time())
    state.metrics.observe_model(model)
    usage = _chat.usage(knobs, prompt, plan.completion_tokens * len(plans))
    if not body.get("stream"):
        async with state.scheduler.slot():
            await _wait_like_generation(state, fault, plans)
        _finished(state, model, plans, started, time.monotonic() - started)
        # model_dump: every key the release's choice model has, in its order, nulls included
        choices = [
            shaped(
                knobs.completion_choice_keys,
                {
                    "index": i,
                    "text": "".join(p.content),
                    "finish_reason": p.finish_reason,
                    "stop_reason": p.stop_reason,
                },
                {},
            )
            for i, p in enumerate(plans)
        ]
        values = {
            "id": cmpl_id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage,
            "system_fingerprint": _fingerprint(state),
        }
        return _json({k: values.get(k) for k in knobs.completion_response_keys})
    head_values = {"id": cmpl_id, "object": "text_completion", "created": created, "model": model}
    head = {k: head_values[k] for k in knobs.completion_chunk_keys if k in head_values}
    options = body.get("stream_options")
    policy = _chat.StreamUsagePolicy.decide(knobs, options)
    events: list[bytes] = []
    fingerprint = _fingerprint(state)
    generated = 0
    # one chunk per generated token; the EOS (or stop-string) token ends the stream on its
    # own chunk with empty text (0.12.0 and 0.34.0, the reference harness)
    steps = [(piece, 1) for piece in plan.content]
    if plan.finish_reason != "length" or not steps:
        steps.append(("", 1 if plan.finish_reason != "length" else 0))
    for position, (piece, counted) in enumerate(steps):
        last = position == len(steps) - 1
        generated += counted
        choice = {
            "index": 0,
            "text": piece,
            "logprobs": None,
            "finish_reason": plan.finish_reason if last else None,
            "stop_reason": plan.stop_reason if last else None,
        }
        for key in knobs.completion_chunk_null_keys:
            choice[key] = None
        chunk: dict[str, Any] = {**head, "choices": [choice]}
        if policy.continuous is not None or (last and policy.in_finish_chunk):
            chunk["usage"] = _chat.usage(knobs, prompt, generated, stream=True)
        elif "usage" in knobs.completion_chunk_keys:
            chunk["usage"] = None  # exclude_unset=False (up to 0.20)
        if last and fingerprint is not None and not policy.final_chunk:
            chunk["system_fingerprint"] = fingerprint
        for key in knobs.chunk_top_null_keys:
            chunk[key] = None
        events.append(sse.data(chunk))
    if policy.final_chunk:
        final = {**head, "choices": [], "usage": _chat.usage(knobs, prompt, generated, stream=True)}
        if fingerprint is not None:
            final["system_fingerprint"] = fingerprint
        events.append(sse.data(final))
    error = VllmError(fault.message, fault.status) if fault else None
    payload = stream_error_payload(knobs, error, chat=False) if error else None
    return EventStreamResponse(
        _timed(
            state,
            fault,
            events,
            started=started,
            model=model,
            plans=plans,
            done=sse.DONE,
            error_payload=payload,
        )
    )


# --- responses ------------------------------------------------------------------------------


async def responses(request: Request) -> Answer:
    return await _answer(_responses, request)


async def _responses(state: VllmState, request: Request) -> Answer:
    knobs, config = state.knobs, state.config
    body, typed = await _read(request, ResponsesRequest)
    model = _model_name(state, body)
    if body.get("stream") and knobs.responses is ResponsesRoute.NON_STREAMING:
        # 0.10.0 raises NotImplementedError outside any handler: FastAPI's plain 500.
        raise PlainServerError()
    items = (
        typed.input if isinstance(typed.input, list) else [{"role": "user", "content": typed.input}]
    )
    messages = (
        [{"role": "system", "content": typed.instructions}] if typed.instructions else []
    ) + items
    prompt = tokens.prompt_tokens(messages)
    if typed.max_output_tokens is not None and typed.max_output_tokens < 1:
        # the same SamplingParams check as chat (the reference harness, 0.12.0 and 0.34.0)
        _check_context(state, prompt, typed.max_output_tokens)
    fault, reply = _arrange(state, request, {"messages": messages, "model": model})
    max_tokens = typed.max_output_tokens or max(config.max_model_len - prompt, 1)
    plan = plan_reply(
        reply,
        state.player,
        {"messages": messages},
        Limits(max_tokens, config.max_model_len, prompt, []),
        tool_choice=None,
        tools_allowed=False,
        reasoning_parser=config.reasoning_parser is not None,
        new_tool_id=lambda: "",
    )
    created = int(time.time())
    started = time.monotonic()
    response_id = _request_id(state, request, knobs.response_id_prefix)
    text = "".join(plan.content)

    def response_object(shown: str, *, reasoning: bool = True) -> dict[str, Any]:
        # each body gets its own item ids, as each of vLLM's builds does
        return _response_object(
            knobs,
            response_id,
            created,
            model,
            typed,
            plan,
            shown,
            max_tokens,
            state.new_hex(),
            state.new_hex(),
            reasoning=reasoning,
        )

    body_out = response_object(text)
    if body.get("stream"):
        if knobs.responses is ResponsesRoute.STREAM_CUT:
            # 0.10.1: the generator raises after the 200 went out; uvicorn drops the socket.
            async def cut() -> AsyncGenerator[bytes | _Cut, None]:
                yield CUT

            return EventStreamResponse(cut())
        length = plan.finish_reason == "length"
        # the engine's last step: a real token on a length finish, else EOS with empty text
        steps = [*plan.content] if length and plan.content else [*plan.content, ""]
        if knobs.responses_completed_last_step:
            # SimpleContext keeps only the last engine step's output: response.completed
            # shows that step's text (none after EOS)
            body_out = response_object(steps[-1], reasoning=False)
        events = _responses_stream.stream_events(
            knobs,
            body_out,
            steps,
            length_finish=length,
            reasoning_id=_responses_stream.reasoning_item_id(knobs, state.new_hex),
            message_id=_responses_stream.item_id(knobs, state.new_hex),
            reasoning=[] if plan.inline_reasoning else plan.reasoning,
        )
        return EventStreamResponse(
            _timed(
                state,
                fault,
                events,
                started=started,
                model=model,
                plans=[plan],
                # 0.10.2-0.11.0: the completed event raises; the server drops the socket
                done=CUT
                if knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE
                else None,
                error_payload=None,
            )
        )
    async with state.scheduler.slot():
        await _wait_like_generation(state, fault, [plan])
    _finished(state, model, [plan], started, time.monotonic() - started)
    return _json(body_out)


def _response_object(
    knobs: Knobs,
    response_id: str,
    created: int,
    model: str,
    typed: ResponsesRequest,
    plan: Plan,
    text: str,
    max_tokens: int,
    hex_id: str,
    reasoning_hex: str,
    *,
    reasoning: bool = True,
) -> dict[str, Any]:
    """ResponsesResponse.from_request, keys as the profile lists them."""
    length = plan.finish_reason == "length"
    output: list[Any] = []
    if reasoning and plan.reasoning and not plan.inline_reasoning:
        output.append(
            _responses_body.reasoning_item(f"rs_{reasoning_hex}", "".join(plan.reasoning))
        )
    if text:
        output.append(
            {
                "id": f"msg_{hex_id}",
                "content": [
                    {"annotations": [], "text": text, "type": "output_text", "logprobs": None}
                ],
                "role": "assistant",
                # 0.33+: response_item_status(finish_reason), as the streamed done item
                "status": "incomplete"
                if length and knobs.responses_done_item_status and knobs.responses_length_incomplete
                else "completed",
                "type": "message",
                "phase": None,  # an openai ResponseOutputMessage field vLLM never sets
            }
        )
    extra = typed.model_extra or {}
    incomplete = length and knobs.responses_length_incomplete
    return _responses_body.body(
        knobs,
        {
            "id": response_id,
            "created_at": created,
            "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
            "instructions": typed.instructions,
            "model": model,
            "object": "response",
            "output": output,
            "parallel_tool_calls": True,
            "temperature": typed.temperature or 1.0,
            "tool_choice": _responses_body.tool_choice(
                knobs, extra.get("tool_choice"), typed.tools
            ),
            "tools": _responses_body.tools(knobs, typed.tools),
            "top_p": typed.top_p or 1.0,
            "background": False,
            "max_output_tokens": max_tokens,
            "service_tier": "auto",
            "status": "incomplete" if incomplete else "completed",
            "top_logprobs": None if knobs.responses_top_logprobs_null else 0,
            "truncation": "disabled",
            "usage": _responses_body.usage(
                knobs, plan.prompt_tokens, plan.completion_tokens, len(plan.reasoning)
            ),
            # the sampling params' values (SamplingParams defaults 0.0)
            "presence_penalty": float(extra.get("presence_penalty") or 0.0),
            "frequency_penalty": float(extra.get("frequency_penalty") or 0.0),
        },
    )

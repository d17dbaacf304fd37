"""The fake vLLM's endpoints, thin: read and check the request, plan the reply, hand the plan
to the endpoint's wire module (fakes/vllm/wire/) and pace what it wrote (_engine)."""

from __future__ import annotations

import functools
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
from fakes.model import tokens
from fakes.model.faults import FAULT_HEADER, Fault, FaultHeaderError, FaultKind
from fakes.model.script import Reply
from fakes.profiles import ResponsesEventResponse, ResponsesRoute
from fakes.types import JSONObject
from fakes.vllm import _checks, _engine
from fakes.vllm._plan import Limits, plan_reply
from fakes.vllm._requests import (
    ChatRequest,
    CompletionRequest,
    ResponsesRequest,
    ResponsesRequestWithPenalties,
    validate,
)
from fakes.vllm._state import VllmState
from fakes.vllm.wire import chat as chat_wire
from fakes.vllm.wire import completions as completions_wire
from fakes.vllm.wire import models as models_wire
from fakes.vllm.wire import responses as responses_wire
from fakes.vllm.wire import responses_stream
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
    state = _state(request)
    return _json({"version": state.knobs.wheel_versions.get(state.version, state.version)})


async def metrics(request: Request) -> Response:
    return Response(_state(request).metrics.render(), media_type=CONTENT_TYPE)


async def models(request: Request) -> Response:
    state = _state(request)
    config = state.config
    root = config.model_path or config.served_model_names[0]
    if state.knobs.model_card_root_served_name:
        root = config.served_model_names[0]
    return _json(
        models_wire.model_list(
            state.knobs,
            names=config.served_model_names,
            root=root,
            max_model_len=config.max_model_len,
            created=int(state.now()),
            new_hex=state.new_hex,
        )
    )


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
    return _fingerprint_of(state.version, config.model_path or "", config.served_model_names)


@functools.lru_cache(maxsize=64)
def _fingerprint_of(version: str, model_path: str, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256("\0".join((model_path, *names)).encode()).hexdigest()
    return f"vllm-{version}-{digest[:8]}"


def _request_id(state: VllmState, request: Request, prefix: str) -> str:
    header = request.headers.get("x-request-id")
    if header and state.knobs.request_id_header:
        return prefix + header
    return prefix + state.new_hex()


async def _read(request: Request, kind: Any, *, chat: bool = False) -> tuple[dict[str, Any], Any]:
    state = _state(request)
    return validate(
        state.knobs,
        await request.body(),
        kind,
        chat=chat,
        content_type=request.headers.get("content-type"),
        where=state.where(request.method, request.url.path),
    )


def _fault_error(fault: Fault) -> VllmError:
    return VllmError(fault.message, fault.status)


# --- chat completions -----------------------------------------------------------------------


async def chat_completions(request: Request) -> Answer:
    return await _answer(_chat_completions, request)


async def _chat_completions(state: VllmState, request: Request) -> Answer:
    started = time.monotonic()  # arrival: TTFT and latency metrics count from here
    knobs, config = state.knobs, state.config
    body, typed = await _read(request, ChatRequest, chat=True)
    model = _checks.model_name(state, body)
    tool_choice = body.get("tool_choice")
    # only an absent key defaults (protocol.py: '"tool_choice" not in data'); null stays null
    if "tool_choice" not in body and body.get("tools") and knobs.tools_default_auto:
        tool_choice = "auto"
    _checks.check_tool_choice(knobs, config.auto_tools, tool_choice)
    prompt = tokens.prompt_tokens(body["messages"])
    max_tokens = typed.max_completion_tokens or typed.max_tokens
    _checks.check_context(state, prompt, max_tokens)
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
            named_parsed=knobs.named_tool_choice_parsed and config.auto_tools,
        )
        for _ in range(typed.n or 1)
    ]
    chat_id = _request_id(state, request, knobs.chat_id_prefix)
    created = int(state.now())
    state.metrics.observe_model(model)
    if not body.get("stream"):
        async with state.scheduler.slot():
            await _engine.wait_like_generation(state, fault, plans)
        if fault is not None and fault.kind in (FaultKind.ERROR_FRAME, FaultKind.CUT):
            raise _fault_error(fault)
        _engine.finished(state, model, plans, started, time.monotonic() - started)
        return _json(
            chat_wire.completion_body(
                knobs,
                id=chat_id,
                created=created,
                model=model,
                plans=plans,
                fingerprint=_fingerprint(state),
            )
        )
    policy = chat_wire.StreamUsagePolicy.decide(knobs, body.get("stream_options"))
    writer = chat_wire.ChunkWriter(
        knobs,
        id=chat_id,
        created=created,
        model=model,
        policy=policy,
        prompt_tokens=prompt,
        fingerprint=_fingerprint(state),
    )
    written = chat_wire.chunks(writer, knobs, plans, policy, tool_parser=config.auto_tools)
    done: bytes | _Cut = sse.DONE
    if knobs.named_tool_stream_finish_crash and config.auto_tools and isinstance(tool_choice, dict):
        # 0.6.2 serving_chat.py:507-519 looks up the auto parser's prev_tool_call_arr[0], empty
        # on the named path: the stream ends before the finish chunk, the socket drops
        written = written[: _first_finish(written)]
        done = CUT
    events = [sse.data(chunk) for chunk in written]
    error = VllmError(fault.message, fault.status) if fault else None
    payload = stream_error_payload(knobs, error) if error else None
    return EventStreamResponse(
        _engine.paced(
            state,
            fault,
            events,
            started=started,
            model=model,
            plans=plans,
            done=done,
            error_payload=payload,
        )
    )


def _first_finish(chunks: list[JSONObject]) -> int:
    """The position of the first chunk that carries a finish reason."""
    for position, chunk in enumerate(chunks):
        choices = chunk.get("choices")
        if isinstance(choices, list) and any(
            isinstance(c, dict) and c.get("finish_reason") is not None for c in choices
        ):
            return position
    return len(chunks)


# --- completions ----------------------------------------------------------------------------


async def completions(request: Request) -> Answer:
    return await _answer(_completions, request)


async def _completions(state: VllmState, request: Request) -> Answer:
    started = time.monotonic()  # arrival: TTFT and latency metrics count from here
    knobs, config = state.knobs, state.config
    body, typed = await _read(request, CompletionRequest)
    model = _checks.model_name(state, body)
    prompt_text = (
        typed.prompt if isinstance(typed.prompt, str) else " ".join(str(p) for p in typed.prompt)
    )
    prompt = tokens.count(prompt_text)
    max_tokens = typed.max_tokens if typed.max_tokens is not None else 16
    _checks.check_context(state, prompt, max_tokens)
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
    created = int(state.now())
    state.metrics.observe_model(model)
    usage = chat_wire.usage(knobs, prompt, plan.completion_tokens * len(plans))
    if not body.get("stream"):
        async with state.scheduler.slot():
            await _engine.wait_like_generation(state, fault, plans)
        _engine.finished(state, model, plans, started, time.monotonic() - started)
        return _json(
            completions_wire.completion_body(
                knobs,
                id=cmpl_id,
                created=created,
                model=model,
                plans=plans,
                usage=usage,
                fingerprint=_fingerprint(state),
            )
        )
    policy = chat_wire.StreamUsagePolicy.decide(knobs, body.get("stream_options"))
    events = [
        sse.data(chunk)
        for chunk in completions_wire.chunks(
            knobs,
            id=cmpl_id,
            created=created,
            model=model,
            plan=plan,
            prompt=prompt,
            policy=policy,
            fingerprint=_fingerprint(state),
        )
    ]
    error = VllmError(fault.message, fault.status) if fault else None
    payload = stream_error_payload(knobs, error, chat=False) if error else None
    return EventStreamResponse(
        _engine.paced(
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
    kind = ResponsesRequestWithPenalties if knobs.responses_penalties else ResponsesRequest
    body, typed = await _read(request, kind)
    model = _checks.model_name(state, body)
    if body.get("stream") and knobs.responses is ResponsesRoute.NON_STREAMING:
        # 0.10.0 raises NotImplementedError outside any handler: FastAPI's plain 500.
        raise PlainServerError()
    _checks.check_responses_tools(knobs, typed.tools)
    items = (
        typed.input if isinstance(typed.input, list) else [{"role": "user", "content": typed.input}]
    )
    messages = (
        [{"role": "system", "content": typed.instructions}] if typed.instructions else []
    ) + items
    prompt = tokens.prompt_tokens(messages)
    if typed.max_output_tokens is not None and typed.max_output_tokens < 1:
        # the same SamplingParams check as chat (the reference harness, 0.12.0 and 0.34.0)
        _checks.check_context(state, prompt, typed.max_output_tokens)
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
    created = int(state.now())
    started = time.monotonic()
    response_id = _request_id(state, request, knobs.response_id_prefix)
    text = "".join(plan.content)

    def response_object(shown: str, *, reasoning: bool = True) -> dict[str, Any]:
        # each body gets its own item ids, as each of vLLM's builds does
        return responses_wire.response_object(
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
        steps, reasoning, length = responses_stream.engine_steps(knobs, plan, config.auto_tools)
        if knobs.responses_completed_last_step:
            # SimpleContext keeps only the last engine step's output: response.completed
            # shows that step's text (none after EOS)
            body_out = response_object(steps[-1] if steps else "", reasoning=False)
        events = responses_stream.stream_events(
            knobs,
            body_out,
            steps,
            length_finish=length,
            reasoning_id=responses_stream.reasoning_item_id(knobs, state.new_hex, state.new_uuid),
            message_id=responses_stream.message_item_id(
                knobs, state.new_hex, state.new_uuid, after_reasoning=bool(reasoning)
            ),
            reasoning=reasoning,
        )
        return EventStreamResponse(
            _engine.paced(
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
        await _engine.wait_like_generation(state, fault, [plan])
    _engine.finished(state, model, [plan], started, time.monotonic() - started)
    return _json(body_out)

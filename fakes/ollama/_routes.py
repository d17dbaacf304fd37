"""The fake Ollama's endpoints: the OpenAI-compatible layer (/v1) over the native handlers
(/api), each answering in its own error shape."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fakes.http.eventstream import CUT, EventStreamResponse, _Cut
from fakes.model import tokens
from fakes.model.faults import FAULT_HEADER, Fault, FaultHeaderError, FaultKind
from fakes.ollama import _native, _openai, _responses
from fakes.ollama._gojson import dumps
from fakes.ollama._reply import Generation, generate
from fakes.ollama._state import OllamaState
from fakes.profiles._ollama import UnknownModel

JSON = "application/json"  # json.NewEncoder after Header().Set (the openai writers)
GIN_JSON = "application/json; charset=utf-8"  # gin's c.JSON (native handlers)
SSE = [(b"content-type", b"text/event-stream")]
NDJSON = [(b"content-type", b"application/x-ndjson")]


class OllamaError(Exception):
    """A handler error: {"error": message} on /api, re-encoded by the openai writers on /v1;
    ``middleware`` marks the /v1 middleware's own 400s (always invalid_request_error)."""

    def __init__(self, status: int, message: str, *, middleware: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.middleware = middleware


def _state(request: Request) -> OllamaState:
    state: OllamaState = request.app.state.fake
    return state


def _v1_error(state: OllamaState, exc: OllamaError) -> Response:
    body = _openai.error_body(state.knobs, exc.status, exc.message, middleware=exc.middleware)
    return Response(body, exc.status, media_type=JSON)


def _api_error(exc: OllamaError) -> Response:
    return Response(dumps({"error": exc.message}), exc.status, media_type=GIN_JSON)


# Go's encoding/json messages for what a request most often gets wrong.
_GO_TYPES: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "float64",
    str: "string",
    list: "array",
    dict: "object",
}


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return _GO_TYPES.get(type(value), "object")


def _syntax_error(exc: json.JSONDecodeError) -> str:
    """encoding/json's SyntaxError text for the usual cases (approximate past them)."""
    text = exc.doc
    if exc.pos >= len(text.rstrip()):
        return "unexpected EOF"
    char = text[exc.pos]
    before = text[: exc.pos].rstrip()
    if before.endswith(("{", ",")) and "Expecting property name" in exc.msg:
        return f"invalid character '{char}' looking for beginning of object key string"
    return f"invalid character '{char}' looking for beginning of value"


async def _body(request: Request, struct: str, fields: dict[str, type]) -> dict[str, Any]:
    """c.ShouldBindJSON into ``struct``: the fields that must have a Go type."""
    raw = await request.body()
    if not raw.strip():
        raise OllamaError(400, "EOF", middleware=True)
    try:
        body = json.loads(raw.decode(errors="replace"))
    except json.JSONDecodeError as exc:
        raise OllamaError(400, _syntax_error(exc), middleware=True) from None
    if not isinstance(body, dict):
        message = f"json: cannot unmarshal {_go_kind(body)} into Go value of type {struct}"
        raise OllamaError(400, message, middleware=True)
    for name, expected in fields.items():
        value = body.get(name)
        if value is None:
            continue
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if expected is int and isinstance(value, float):
            shown = json.dumps(value)
            message = (
                f"json: cannot unmarshal number {shown} into Go struct field "
                f"{struct.split('.')[-1]}.{name} of type int"
            )
            raise OllamaError(400, message, middleware=True)
        if not ok:
            message = (
                f"json: cannot unmarshal {_go_kind(value)} into Go struct field "
                f"{struct.split('.')[-1]}.{name} of type {_GO_TYPES[expected]}"
            )
            raise OllamaError(400, message, middleware=True)
    return body


def _check_model(state: OllamaState, model: Any) -> str:
    if not isinstance(model, str) or not model:
        raise OllamaError(400, "model is required")
    if not state.knows(model):
        if state.knobs.unknown_model is UnknownModel.PULL_HINT:
            raise OllamaError(404, f'model "{model}" not found, try pulling it first')
        raise OllamaError(404, f"model '{model}' not found")
    return model


def _fault(state: OllamaState, request: Request) -> Fault | None:
    try:
        return state.faults.pick(request.url.path, request.headers.get(FAULT_HEADER))
    except FaultHeaderError as exc:
        raise OllamaError(400, str(exc)) from None


def _generation(state: OllamaState, request: Request, body: dict[str, Any]) -> Generation:
    reply = state.player.choose(body, request.url.path)
    if reply is not None and reply.error is not None:
        raise OllamaError(reply.error.status, reply.error.message)
    messages = body.get("messages")
    if messages is None:
        prompt = body.get("prompt", body.get("input", ""))
        messages = [{"role": "user", "content": prompt if isinstance(prompt, str) else ""}]
    limit = body.get("max_tokens")
    options = body.get("options")
    if isinstance(options, dict) and isinstance(options.get("num_predict"), int):
        limit = options["num_predict"]
    return generate(
        reply,
        state.player,
        body,
        num_predict=limit if isinstance(limit, int) else None,
        prompt_eval_count=tokens.prompt_tokens(messages),
        rng=state.rng,
    )


async def _frames(
    frames: list[bytes], fault: Fault | None, error_frames: list[bytes]
) -> AsyncGenerator[bytes | _Cut, None]:
    for position, frame in enumerate(frames):
        if fault is not None and position == fault.after_chunks:
            if fault.kind is FaultKind.CUT:
                yield CUT
                return
            if fault.kind is FaultKind.ERROR_FRAME:
                for error in error_frames:
                    yield error
                return
        yield frame


def _stream_fault(fault: Fault | None) -> Fault | None:
    if fault is not None and fault.kind in (FaultKind.CUT, FaultKind.ERROR_FRAME):
        return fault
    return None


def _http_fault(fault: Fault | None) -> None:
    if fault is not None and fault.kind is FaultKind.HTTP_ERROR:
        raise OllamaError(fault.status, fault.message)


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


# /v1 ------------------------------------------------------------------------------------


async def chat_completions(request: Request) -> Response:
    state = _state(request)
    knobs = state.knobs
    try:
        fields = {"model": str, "messages": list, "stream": bool, "max_tokens": int}
        body = await _body(request, "openai.ChatCompletionRequest", fields)
        if not body.get("messages"):
            raise OllamaError(400, "[] is too short - 'messages'", middleware=True)
        chat_id = f"chatcmpl-{state.rng.randrange(999)}"
        model = _check_model(state, body.get("model"))
        fault = _fault(state, request)
        _http_fault(fault)
        gen = _generation(state, request, body)
    except OllamaError as exc:
        return _v1_error(state, exc)
    created = int(time.time())
    if not body.get("stream"):
        content = _openai.chat_body(knobs, gen, chat_id=chat_id, model=model, created=created)
        return Response(content, media_type=JSON)
    writer = _openai.ChatStream(
        knobs, chat_id=chat_id, model=model, created=created, usage=_include_usage(body)
    )
    frames: list[bytes] = []
    for native in _openai.native_stream(knobs, gen, tools=bool(body.get("tools"))):
        usage = _openai.usage_of(gen) if native.done else None
        frames.extend(writer.frames(native, usage))
    return EventStreamResponse(  # type: ignore[return-value]
        _frames(frames, _stream_fault(fault), writer.error_frames()), headers=SSE
    )


async def completions(request: Request) -> Response:
    state = _state(request)
    try:
        fields = {"model": str, "prompt": str, "stream": bool, "max_tokens": int}
        body = await _body(request, "openai.CompletionRequest", fields)
        cmpl_id = f"cmpl-{state.rng.randrange(999)}"
        model = _check_model(state, body.get("model"))
        fault = _fault(state, request)
        _http_fault(fault)
        gen = _generation(state, request, body)
    except OllamaError as exc:
        return _v1_error(state, exc)
    created = int(time.time())
    if not body.get("stream"):
        content = _openai.completion_body(gen, cmpl_id=cmpl_id, model=model, created=created)
        return Response(content, media_type=JSON)
    frames = _openai.completion_frames(
        state.knobs,
        gen,
        cmpl_id=cmpl_id,
        model=model,
        created=created,
        usage=_include_usage(body),
    )
    return EventStreamResponse(  # type: ignore[return-value]
        _frames(frames, _stream_fault(fault), []), headers=SSE
    )


async def responses(request: Request) -> Response:
    state = _state(request)
    try:
        body = await _body(request, "openai.ResponsesRequest", {"model": str, "stream": bool})
        response_id = f"resp_{state.rng.randrange(999999)}"
        item_id = f"msg_{state.rng.randrange(999999)}"
        model = _check_model(state, body.get("model"))
        fault = _fault(state, request)
        _http_fault(fault)
        chat = dict(body)
        chat["messages"] = _responses_messages(body)
        if isinstance(body.get("max_output_tokens"), int):
            chat["max_tokens"] = body["max_output_tokens"]
        gen = _generation(state, request, chat)
    except OllamaError as exc:
        return _v1_error(state, exc)
    if not body.get("stream"):
        content = _responses.response_body(
            gen, response_id=response_id, item_id=item_id, model=model, created=int(time.time())
        )
        return Response(content, media_type=JSON)
    numbers = [state.rng.randrange(999999) for _ in gen.tool_calls]
    frames = _responses.response_events(
        gen, response_id=response_id, item_id=item_id, call_numbers=numbers
    )
    return EventStreamResponse(  # type: ignore[return-value]
        _frames(frames, _stream_fault(fault), []), headers=SSE
    )


def _responses_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list):
        messages.extend(m for m in given if isinstance(m, dict) and "role" in m)
    return messages


async def models(request: Request) -> Response:
    state = _state(request)
    return Response(_openai.models_body(state.model_names(), _started(request)), media_type=JSON)


async def model(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["model"]
    if not state.knows(name):
        error = OllamaError(404, f"model '{name}' not found")
        return _v1_error(state, error)
    return Response(_openai.model_body(name, _started(request)), media_type=JSON)


def _started(request: Request) -> int:
    started: int = request.app.state.started
    return started


# /api -----------------------------------------------------------------------------------


async def api_chat(request: Request) -> Response:
    state = _state(request)
    knobs = state.knobs
    try:
        fields = {"model": str, "messages": list, "stream": bool}
        body = await _native_body(request, "api.ChatRequest", fields)
        model = _check_model(state, body.get("model"))
        fault = _fault(state, request)
        _http_fault(fault)
        gen = _generation(state, request, body)
    except OllamaError as exc:
        return _api_error(exc)
    tools = bool(body.get("tools"))
    if body.get("stream") is False:
        line = _native.chat_line(
            knobs,
            model,
            "" if gen.tool_calls else gen.text,
            gen.tool_calls,
            done_reason=gen.done_reason,
            gen=gen,
        )
        return Response(line, media_type=GIN_JSON)
    lines = []
    for native in _openai.native_stream(knobs, gen, tools=tools):
        done = native.done_reason if native.done else None
        done_gen = gen if native.done else None
        line = _native.chat_line(
            knobs, model, native.content, native.tool_calls, done_reason=done, gen=done_gen
        )
        lines.append((line + "\n").encode())
    error = [(dumps({"error": fault.message}) + "\n").encode()] if fault else []
    return EventStreamResponse(  # type: ignore[return-value]
        _frames(lines, _stream_fault(fault), error), headers=NDJSON
    )


async def api_generate(request: Request) -> Response:
    state = _state(request)
    try:
        body = await _native_body(request, "api.GenerateRequest", {"model": str, "prompt": str})
        model = _check_model(state, body.get("model"))
        fault = _fault(state, request)
        _http_fault(fault)
        gen = _generation(state, request, body)
    except OllamaError as exc:
        return _api_error(exc)
    if body.get("stream") is False:
        line = _native.generate_line(model, gen.text, done_reason=gen.done_reason, gen=gen)
        return Response(line, media_type=GIN_JSON)
    lines = [
        (_native.generate_line(model, p, done_reason=None, gen=None) + "\n").encode()
        for p in gen.pieces
    ]
    final = _native.generate_line(model, "", done_reason=gen.done_reason, gen=gen)
    lines.append((final + "\n").encode())
    error = [(dumps({"error": fault.message}) + "\n").encode()] if fault else []
    return EventStreamResponse(  # type: ignore[return-value]
        _frames(lines, _stream_fault(fault), error), headers=NDJSON
    )


async def _native_body(request: Request, struct: str, fields: dict[str, type]) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise OllamaError(400, "missing request body")
    try:
        return await _body(request, struct, fields)
    except OllamaError as exc:
        raise OllamaError(exc.status, exc.message) from None


async def tags(request: Request) -> Response:
    state = _state(request)
    modified = _native.go_time(request.app.state.started_at)
    return Response(_native.tags_body(state.model_names(), modified), media_type=GIN_JSON)


async def version(request: Request) -> Response:
    return Response(dumps({"version": _state(request).version}), media_type=GIN_JSON)


async def root(request: Request) -> Response:
    return Response("Ollama is running", media_type="text/plain; charset=utf-8")

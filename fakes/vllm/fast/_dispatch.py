"""A raw ASGI dispatch in front of starlette for the hot route: a plain chat request is read
once, checked, and answered from a cached template; everything else is handed on untouched
(its body replayed) to the reference path. The request log and the metrics see both alike."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.http.capture import BodyTooLarge, TooLarge, read_body, replaying
from fakes.model import tokens
from fakes.model.faults import FAULT_HEADER
from fakes.model.script import DefaultReply
from fakes.vllm import _checks, _routes
from fakes.vllm._state import VllmState
from fakes.vllm.fast._accept import Shape, plain_chat
from fakes.vllm.fast._chat import ChatAnswer, render
from fakes.vllm.wire.errors import VllmError

CHAT_PATH = "/v1/chat/completions"
_MAX_PLAIN_BODY = 64 * 1024  # larger bodies are not plain: read by the reference path
_MAX_TEMPLATES = 512  # shapes kept per profile state; the cache starts over when full
_FAULT_HEADER = FAULT_HEADER.lower().encode("latin-1")
_JSON_HEADERS = b"application/json"
_STREAM_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8")]


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, *, state: VllmState, too_large: TooLarge) -> None:
        self.app = app
        self.state = state
        self.too_large = too_large
        self._cache: dict[Shape, tuple[ChatAnswer, str]] = {}
        self._cached_for: tuple[Any, ...] = ()
        self.answered = 0  # requests the fast path answered itself (the rest were handed on)

    def _ready(self) -> bool:
        """Whether the fake's present state lets plain requests skip the reference path."""
        state = self.state
        config = state.config
        return (
            config.fast_path
            and not config.api_keys
            and config.replica_name is None
            and not state.player.script.rules
            and state.player.script.default is DefaultReply.LOREM
            and not state.faults.rules
            and state.clock.timing.instant
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != CHAT_PATH
            or scope["method"] != "POST"
            or not self._ready()
        ):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        length = headers.get(b"content-length")
        if length is None or not length.isdigit() or int(length) > _MAX_PLAIN_BODY:
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, self.state.config.max_body_bytes)
        except BodyTooLarge:
            await self.too_large(self.state.config.max_body_bytes)(scope, receive, send)
            return
        if body is None:
            return  # the client left
        if not await self._chat(scope, headers, body, send):
            await self.app(scope, replaying(body, receive), send)

    def _answer(self, shape: Shape, model: str) -> ChatAnswer:
        state = self.state
        now = (state.profile, state.version, state.player)
        if now != self._cached_for or len(self._cache) >= _MAX_TEMPLATES:
            self._cache.clear()
            self._cached_for = now
        cached = self._cache.get(shape)
        if cached is None or cached[1] != model:
            answer = render(state, shape, model, _routes._fingerprint(state))
            self._cache[shape] = cached = (answer, model)
        return cached[0]

    async def _chat(
        self, scope: Scope, headers: dict[bytes, bytes], body: bytes, send: Send
    ) -> bool:
        """Answer a plain chat request; False (nothing sent) when it is not one."""
        started = time.monotonic()
        state = self.state
        knobs = state.knobs
        if _FAULT_HEADER in headers:
            return False
        content_type = headers.get(b"content-type")
        if (
            knobs.json_content_type_required
            and content_type is not None
            and content_type.decode("latin-1").split(";")[0].strip().lower() != "application/json"
        ):
            return False
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return False
        shape = plain_chat(knobs, parsed)
        if shape is None:
            return False
        prompt = tokens.prompt_tokens(parsed["messages"])
        try:
            model = _checks.model_name(state, parsed)
            _checks.check_context(state, prompt, shape.max_tokens)
        except VllmError:
            return False
        answer = self._answer(shape, model)
        budget = shape.max_tokens
        if budget is None and answer.needed > state.config.max_model_len - prompt:
            return False  # the reference cuts this answer for length
        scheduler = state.scheduler
        if not shape.stream and (scheduler.waiting or scheduler.running >= scheduler.max_num_seqs):
            return False  # it would queue for a slot: the reference path paces that
        given = headers.get(b"x-request-id")
        if given and knobs.request_id_header:
            ident = knobs.chat_id_prefix + given.decode("latin-1")
        else:
            ident = knobs.chat_id_prefix + state.new_hex()
        escaped = orjson.dumps(ident)[1:-1]
        extra: list[tuple[bytes, bytes]] = []
        if knobs.x_request_id_response:  # 0.6.4: every answer echoes or makes one
            extra.append((b"x-request-id", given or state.uuid_hex().encode()))
        created = str(int(state.now())).encode()
        self.answered += 1
        state.metrics.observe_model(model)
        log = state.log
        entry = log.start(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            scope.get("headers", []),
            body,
        )
        try:
            if answer.body is not None:
                payload = answer.body.fill(escaped, created, prompt)
                await self._send_body(entry, payload, extra, send)
                state.metrics.finished(
                    model,
                    prompt=prompt,
                    generated=answer.completion_tokens,
                    reason=answer.finish_reason,
                    ttft=time.monotonic() - started,
                    e2e=time.monotonic() - started,
                )
            else:
                await self._stream(
                    entry, answer, (escaped, created, prompt), model, started, extra, send
                )
        finally:
            entry.finished = entry.started + (time.monotonic() - started)
            log.updated(entry)
        return True

    async def _send_body(
        self, entry: Any, payload: bytes, extra: list[tuple[bytes, bytes]], send: Send
    ) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(payload)).encode()),
                (b"content-type", _JSON_HEADERS),
                *extra,
            ],
        }
        _log_start(self.state, entry, start)
        await send(start)
        entry.chunks.append((0.0, payload))
        entry.complete = True
        await send({"type": "http.response.body", "body": payload})

    async def _stream(
        self,
        entry: Any,
        answer: ChatAnswer,
        slots: tuple[bytes, bytes, int],
        model: str,
        started: float,
        extra: list[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        state = self.state
        escaped, created, prompt = slots
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*_STREAM_HEADERS, *extra],
        }
        _log_start(state, entry, start)
        await send(start)
        first: float | None = None
        async with state.scheduler.slot():
            for template in answer.events:
                event = template.fill(escaped, created, prompt)
                offset = time.monotonic() - started
                if first is None:
                    first = offset
                entry.chunks.append((offset, event))
                await send({"type": "http.response.body", "body": event, "more_body": True})
            entry.chunks.append((time.monotonic() - started, _DONE))
            await send({"type": "http.response.body", "body": _DONE, "more_body": True})
            state.metrics.finished(
                model,
                prompt=prompt,
                generated=answer.completion_tokens,
                reason=answer.finish_reason,
                ttft=first,
                e2e=time.monotonic() - started,
            )
        entry.complete = True
        await send({"type": "http.response.body", "body": b"", "more_body": False})


_DONE = b"data: [DONE]\n\n"


def _log_start(state: VllmState, entry: Any, start: Message) -> None:
    entry.status = start["status"]
    entry.response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    state.log.updated(entry)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    # the first of each name, as starlette's Headers.get() reads it
    found: dict[bytes, bytes] = {}
    for key, value in scope.get("headers", []):
        found.setdefault(key.lower(), value)
    return found

"""A raw ASGI dispatch in front of starlette for the hot routes: a plain request is read
once, checked, and answered from a cached template; everything else is handed on untouched
(its body replayed) to the reference path. The request log and the metrics see both alike."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.http.capture import BodyTooLarge, TooLarge, read_body, replaying
from fakes.http.requestlog import Exchange
from fakes.model import tokens
from fakes.model.faults import FAULT_HEADER
from fakes.model.script import DefaultReply, Reply
from fakes.model.timing import Pace
from fakes.profiles import Knobs
from fakes.vllm import _checks, _routes
from fakes.vllm._state import VllmState
from fakes.vllm.fast import _chat, _completions, _responses
from fakes.vllm.fast._accept import Shape, plain_chat, plain_completion
from fakes.vllm.fast._template import MORE_STRINGS, Answer, Bound, Template, has_slot
from fakes.vllm.wire.errors import VllmError

_MAX_PLAIN_BODY = 64 * 1024  # larger bodies are not plain: read by the reference path
_MAX_TEMPLATES = 512  # shapes kept per profile state; the cache starts over when full
_MAX_KEPT = 256  # plain bodies kept per profile state, each at most _KEPT_BODY bytes
_KEPT_BODY = 2048
_FAULT_HEADER = FAULT_HEADER.lower().encode("latin-1")
_JSON = b"application/json"
_JSON_HEADER = (b"content-type", _JSON)
_STREAM_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8")]
_DONE = b"data: [DONE]\n\n"
_NO_DRAWS = (b"",) * len(MORE_STRINGS)

Render = Callable[[VllmState, Shape, str, "str | None", "Reply | None"], Answer]


@dataclass(frozen=True)
class _Route:
    accept: Callable[[Knobs, Any], Shape | None]
    prompt_tokens: Callable[[dict[str, Any]], int]
    render: Render
    id_prefix: Callable[[Knobs], str]
    default_max_tokens: int | None  # what the request's max_tokens means when absent
    # what script rules match on, given the body and the model; None: the body itself
    scripted: Callable[[dict[str, Any], str], dict[str, Any]] | None = None
    observes_model: bool = True  # the reference route tells the metrics of its model early
    # whether the reference route paces a stream from the request's arrival, as the fast path
    # does (/v1/responses counts from after its planning: with timing on, the reference path
    # answers its streams)
    paced: bool = True


ROUTES: dict[str, _Route] = {
    "/v1/chat/completions": _Route(
        plain_chat,
        lambda body: tokens.prompt_tokens(body["messages"]),
        _chat.render,
        lambda knobs: knobs.chat_id_prefix,
        None,
    ),
    "/v1/completions": _Route(
        plain_completion,
        lambda body: tokens.count(body["prompt"]),
        _completions.render,
        lambda knobs: knobs.completion_id_prefix,
        _completions.DEFAULT_MAX_TOKENS,
    ),
    "/v1/responses": _Route(
        _responses.plain_responses,
        _responses.prompt_tokens,
        _responses.render,
        lambda knobs: knobs.response_id_prefix,
        None,
        scripted=_responses.scripted,
        observes_model=False,
        paced=False,
    ),
}

_PATHS = {path: path for path in ROUTES}


@dataclass(slots=True)
class _Plain:
    """What a plain body asks for: all of it follows from the bytes and the profile state."""

    body: bytes  # the first of the equal bodies: the log keeps it, not each request's copy
    parsed: dict[str, Any]
    shape: Shape
    prompt: int
    max_tokens: int | None
    model: str
    # a kept body's answers by script rule (None: the default reply), the plain body's
    # template bound to this body's prompt: a repeated body only joins its drawn values
    answers: dict[int | None, tuple[Answer, Bound | None]] | None = field(default=None)


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, *, state: VllmState, too_large: TooLarge) -> None:
        self.app = app
        self.state = state
        self.too_large = too_large
        self._cache: dict[tuple[str, Shape, int | None, str], Answer] = {}
        self._kept: dict[tuple[str, bytes], _Plain] = {}
        self._content_lengths: dict[int, tuple[bytes, bytes]] = {}
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
            and not state.faults.rules
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = ROUTES.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST" or not self._ready():
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
        if not await self._answer(route, scope, headers, body, receive, send):
            await self.app(scope, replaying(body, receive), send)

    def _fresh(self) -> None:
        """Forget the templates and the plain bodies kept for another profile state."""
        state = self.state
        now = (state.profile, state.version, state.player)
        if now != self._cached_for:
            self._cache.clear()
            self._kept.clear()
            self._cached_for = now

    def _plain(self, route: _Route, path: str, body: bytes) -> _Plain | None:
        """What a plain request asks for, None when it is not plain. Kept per body, as the
        templates are kept per shape: a test run or a load test repeats its requests, and a
        repeated body skips the parse and the checks."""
        keep = len(body) <= _KEPT_BODY  # a long body is not even hashed
        key = (path, body)
        kept = self._kept.get(key) if keep else None
        if kept is not None:
            return kept
        state = self.state
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        shape = route.accept(state.knobs, parsed)
        if shape is None:
            return None
        prompt = route.prompt_tokens(parsed)
        max_tokens = shape.max_tokens if shape.max_tokens is not None else route.default_max_tokens
        try:
            model = _checks.model_name(state, parsed)
            _checks.check_context(state, prompt, max_tokens)
        except VllmError:
            return None
        plain = _Plain(body, parsed, shape, prompt, max_tokens, model, {} if keep else None)
        if keep:
            if len(self._kept) >= _MAX_KEPT:
                self._kept.clear()
            self._kept[key] = plain
        return plain

    def _template(
        self, route: _Route, path: str, shape: Shape, model: str, rule: int | None
    ) -> Answer:
        state = self.state
        if len(self._cache) >= _MAX_TEMPLATES:
            self._cache.clear()
        key = (path, shape, rule, model)
        answer = self._cache.get(key)
        if answer is None:
            reply = None if rule is None else state.player.script.rules[rule].reply
            if reply is not None and any(has_slot(t) for t in (reply.text, reply.reasoning) if t):
                raise ValueError("a scripted text holds a slot's sentinel")  # handed on
            answer = route.render(state, shape, model, _routes._fingerprint(state), reply)
            self._cache[key] = answer
        return answer

    def _bound(
        self, route: _Route, path: str, plain: _Plain, rule: int | None
    ) -> tuple[Answer, Bound | None]:
        """The answer's template, and for a kept body its body template bound to the body."""
        answers = plain.answers
        if answers is not None and rule in answers:
            return answers[rule]
        answer = self._template(route, path, plain.shape, plain.model, rule)
        if answers is not None:
            bound = None
            if answer.body is not None:
                numbers = () if answer.numbers is None else answer.numbers(self.state, plain.prompt)
                bound = answer.body.bind(plain.prompt, numbers)
            answers[rule] = (answer, bound)
            return answer, bound
        return answer, None

    def _rule(self, route: _Route, plain: _Plain, path: str) -> tuple[bool, int | None]:
        """Whether the fast path can write the reply, and the script rule that answers (its
        position; None for the default reply)."""
        player = self.state.player
        rule = None
        if player.script.rules:
            parsed = plain.parsed
            scripted = parsed if route.scripted is None else route.scripted(parsed, plain.model)
            rule = player.peek(scripted, path)
        reply = None if rule is None else player.script.rules[rule].reply
        if reply is not None and reply.error is not None:
            return False, rule  # the reference path words the error
        echo = player.script.default is DefaultReply.ECHO
        if echo and (reply is None or reply.text is None):
            return False, rule  # the text comes from the request: not a template
        return True, rule

    async def _answer(
        self,
        route: _Route,
        scope: Scope,
        headers: dict[bytes, bytes],
        body: bytes,
        receive: Receive,
        send: Send,
    ) -> bool:
        """Answer a plain request; False (nothing sent, nothing counted) when it is not one."""
        started = time.monotonic()
        state = self.state
        knobs = state.knobs
        if _FAULT_HEADER in headers:
            return False
        content_type = headers.get(b"content-type")
        if (
            content_type is not None
            and content_type != _JSON
            and knobs.json_content_type_required
            and content_type.decode("latin-1").split(";")[0].strip().lower() != "application/json"
        ):
            return False
        path = _PATHS[scope["path"]]  # the log keeps the one string, not each request's copy
        self._fresh()
        plain = self._plain(route, path, body)
        if plain is None:
            return False
        shape, prompt, max_tokens, model = plain.shape, plain.prompt, plain.max_tokens, plain.model
        instant = state.clock.timing.instant
        if not instant and not (shape.stream and route.paced):
            return False  # a timed answer the reference path paces (_engine)
        writable, rule = self._rule(route, plain, path)
        if not writable:
            return False
        try:
            answer, bound = self._bound(route, path, plain, rule)
        except Exception:  # a profile whose answer the templates cannot hold (a custom
            return False  # --profile file): nothing is sent yet, the reference path answers
        if max_tokens is None and answer.needed > state.config.max_model_len - prompt:
            return False  # the reference cuts this answer for length
        scheduler = state.scheduler
        if not shape.stream and (scheduler.waiting or scheduler.running >= scheduler.max_num_seqs):
            return False  # it would queue for a slot: the reference path paces that
        # answered here from now on: the same state changes as the reference path's
        if rule is not None:
            state.player.take(rule)
        given = headers.get(b"x-request-id")
        hexes: tuple[bytes, ...] | list[bytes]
        if given and knobs.request_id_header:  # as it sits inside a JSON string
            ident = orjson.dumps(route.id_prefix(knobs) + given.decode("latin-1"))[1:-1]
            hexes = state.new_hexes(answer.hexes) if answer.hexes else ()
        else:  # hex: nothing to escape; the id's hex and the answer's drawn at once
            first, *hexes = state.new_hexes(1 + answer.hexes)
            ident = route.id_prefix(knobs).encode() + first
        created = b"%d" % state.now()  # %d truncates as int() does
        draws = (*hexes,) if answer.draws is None else (*hexes, *answer.draws(state))
        extra: list[tuple[bytes, bytes]] = []
        if knobs.x_request_id_response:  # 0.6.4: every answer echoes or makes one
            extra.append((b"x-request-id", given or state.uuid_hex().encode()))
        self.answered += 1
        if route.observes_model:
            state.metrics.observe_model(model)
        entry = state.log.start(
            "POST",  # __call__ checked it: the log keeps the one string
            path,
            scope.get("query_string", b"").decode("latin-1"),
            scope.get("headers", []),
            plain.body,
        )
        try:
            if answer.body is not None:
                if bound is not None:
                    filled = (ident, created, *draws)
                    await self._send_body(entry, bound.fill(filled), extra, send, bound, filled)
                else:
                    payload = answer.body.fill(
                        ident, created, prompt, *self._more(answer, draws, prompt)
                    )
                    await self._send_body(entry, payload, extra, send)
                state.metrics.finished_at_once(
                    model,
                    prompt,
                    answer.completion_tokens,
                    answer.finish_reason,
                    time.monotonic() - started,
                )
            else:
                values = (ident, created, prompt, *self._more(answer, draws, prompt))
                stream = self._stream if instant else self._paced
                await stream(entry, answer, values, model, started, extra, receive, send)
        finally:
            entry.finished = entry.started + (time.monotonic() - started)
            state.log.updated(entry)
        return True

    def _more(self, answer: Answer, draws: tuple[bytes, ...], prompt: int) -> tuple[bytes, ...]:
        """Every more-slot's value by index, for Template.fill: the strings, then the numbers."""
        if answer.numbers is None and not draws:
            return ()
        numbers = () if answer.numbers is None else answer.numbers(self.state, prompt)
        return (*draws, *_NO_DRAWS[len(draws) :], *numbers)

    def _body_headers(self, length: int) -> list[tuple[bytes, bytes]]:
        """A plain answer's headers: a new list (a middleware around the fake may change it in
        place, as starlette's GZipMiddleware does) of pairs shared by every answer of that
        length, so a full log holds no copy of each."""
        content_length = self._content_lengths.get(length)
        if content_length is None:
            if len(self._content_lengths) >= _MAX_TEMPLATES:
                self._content_lengths.clear()
            content_length = self._content_lengths[length] = (b"content-length", b"%d" % length)
        return [content_length, _JSON_HEADER]

    async def _send_body(
        self,
        entry: Exchange,
        payload: bytes,
        extra: list[tuple[bytes, bytes]],
        send: Send,
        bound: Bound | None = None,
        filled: tuple[bytes, ...] = (),
    ) -> None:
        """The answer, logged as sent. A payload filled from ``bound`` is logged as the values
        that fill it (Chunks.rendered_by), a few hundred bytes instead of the whole body: the
        entries of a full log then fit the CPU's cache better (bench row 11)."""
        headers = self._body_headers(len(payload))
        headers += extra
        entry.status = 200
        entry.raw_response_headers = headers  # as the capture middleware logs them: as sent
        self.state.log.updated(entry)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if bound is not None:
            entry.chunks.rendered_by(bound)
            entry.chunks.append_rendered(0.0, filled)
        else:
            entry.chunks.append((0.0, payload))
        entry.complete = True
        await send({"type": "http.response.body", "body": payload})

    async def _start_stream(
        self,
        entry: Exchange,
        answer: Answer,
        values: tuple[Any, ...],
        extra: list[tuple[bytes, bytes]],
        send: Send,
    ) -> None:
        """The response head, logged as the capture middleware logs it (the headers as sent);
        the log keeps each event as its template's number (Chunks.rendered_by)."""
        headers = [*_STREAM_HEADERS, *extra]
        entry.status = 200
        entry.raw_response_headers = headers
        entry.chunks.rendered_by(functools.partial(_event, answer.events, values))
        self.state.log.updated(entry)
        await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def _stream(
        self,
        entry: Exchange,
        answer: Answer,
        values: tuple[Any, ...],
        model: str,
        started: float,
        extra: list[tuple[bytes, bytes]],
        receive: Receive,
        send: Send,
    ) -> None:
        """The events, and what a client that leaves cuts: like the reference path's
        EventStreamResponse, a stream it has left ends there, not complete, not counted in the
        metrics, its slot given back. The reference path lets the loop notice after every
        event; this one after the first event and after [DONE], and writes on between them:
        uvloop sends what one loop turn queued in one write, so a turn per event cost 2.5x
        the server CPU per 202-event stream (bench row 2)."""
        state = self.state
        await self._start_stream(entry, answer, values, extra, send)
        chunks = entry.chunks
        watcher = asyncio.ensure_future(_disconnected(receive))
        try:
            first: float | None = None
            scheduler = state.scheduler
            await scheduler.acquire()  # a running sequence while it streams
            try:
                for number, template in enumerate(answer.events):
                    event = template.fill(*values)
                    offset = time.monotonic() - started
                    chunks.append_rendered(offset, number)
                    await send({"type": "http.response.body", "body": event, "more_body": True})
                    if first is None:
                        first = offset
                        if await _left(watcher):
                            return
                if answer.done:
                    chunks.append((time.monotonic() - started, _DONE))
                    await send({"type": "http.response.body", "body": _DONE, "more_body": True})
                if await _left(watcher):
                    return
                self._finished(answer, model, values[2], first, started)
            finally:
                scheduler.release()
            entry.complete = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    async def _paced(
        self,
        entry: Exchange,
        answer: Answer,
        values: tuple[Any, ...],
        model: str,
        started: float,
        extra: list[tuple[bytes, bytes]],
        receive: Receive,
        send: Send,
    ) -> None:
        """A stream with the fake's timing: the reference path's engine loop (_engine.paced)
        and its EventStreamResponse in one coroutine, without starlette's layers around it
        (an open stream held about 23 KB there; bench row 7 opens 1,000). Each event goes out
        at its token's deadline; the loop gets a turn after every event, as on the reference
        path, and a client that leaves cancels the stream wherever it waits, as
        EventStreamResponse's watcher does: not complete, not counted, its slot given back."""
        state = self.state
        this = asyncio.current_task()
        assert this is not None
        streaming, left = True, False

        async def watch() -> None:
            # cancels at once, not from a done callback a loop turn later: the stream stops
            # before the event the reference path would not send
            nonlocal left
            await _disconnected(receive)
            if streaming:
                left = True
                this.cancel()

        await self._start_stream(entry, answer, values, extra, send)
        chunks = entry.chunks
        watcher = asyncio.ensure_future(watch())
        try:
            clock, pace, scheduler = state.clock, Pace(), state.scheduler
            first: float | None = None
            waited = await scheduler.acquire()  # a running sequence while it streams
            try:
                await pace.first_token(clock, None if waited else started)
                for number, template in enumerate(answer.events):
                    if number:
                        await pace.next_token(clock)
                    else:
                        first = time.monotonic() - started
                    event = template.fill(*values)
                    chunks.append_rendered(time.monotonic() - started, number)
                    await send({"type": "http.response.body", "body": event, "more_body": True})
                    # the reference path's turn after each event: a client that left is
                    # noticed before the next token's wait draws its jitter
                    await asyncio.sleep(0)
                if answer.done:
                    chunks.append((time.monotonic() - started, _DONE))
                    await send({"type": "http.response.body", "body": _DONE, "more_body": True})
                    await asyncio.sleep(0)
                self._finished(answer, model, values[2], first, started)
            finally:
                scheduler.release()
            entry.complete = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            # our own cancel, for a client that left, ends the stream quietly; any other goes on
            if not left or this.uncancel() > 0:
                raise
        finally:
            streaming = False
            watcher.cancel()

    def _finished(
        self, answer: Answer, model: str, prompt: int, first: float | None, started: float
    ) -> None:
        self.state.metrics.finished(
            model,
            prompt=prompt,
            generated=answer.completion_tokens,
            reason=answer.finish_reason,
            ttft=first,
            e2e=time.monotonic() - started,
        )


def _event(events: tuple[Template, ...], values: tuple[Any, ...], number: int) -> bytes:
    """A stream's event ``number``, as it was sent (what the request log keeps of it)."""
    return events[number].fill(*values)


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has left (EventStreamResponse's watcher)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _left(watcher: asyncio.Future[None]) -> bool:
    """Whether the client has left, once the loop has had a turn to notice it."""
    await asyncio.sleep(0)
    return watcher.done()


def _headers(scope: Scope) -> dict[bytes, bytes]:
    # the first of each name, as starlette's Headers.get() reads it (names as sent: ASGI
    # servers send them lower-case, and starlette does not lower them either)
    return dict(reversed(scope.get("headers", ())))

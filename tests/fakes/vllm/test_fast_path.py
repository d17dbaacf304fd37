"""The fast path and the reference path give the same bytes (status, headers, body) for
every vLLM profile x every contract scenario's request, and for generated request bodies.
Ids and "created" come from the same injected sources on both sides, not normalised away."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.types import ASGIApp

from contracts._scenario import PROFILES, Scenario
from contracts.drivers._responses import responses_payload
from contracts.scenarios import SCENARIOS
from fakes.model.script import DefaultReply, ErrorReply, Match, Reply, Rule, Script, ScriptPlayer
from fakes.profiles import (
    Profile,
    ResponsesEventResponse,
    ResponsesRoute,
    builtin,
    with_knobs,
)
from fakes.vllm import VllmConfig, create_vllm_app
from fakes.vllm.fast import FastPathMiddleware, _dispatch
from tests._asgi_messages import Wire, http_scope, messages_sent, request_then_disconnect

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
RESPONSES = "/v1/responses"
PROFILE_LIST = list(builtin("vllm"))


def _app(profile: Profile, *, fast: bool, **overrides: Any) -> Starlette:
    config = VllmConfig(profile=profile, version=profile.reference, fast_path=fast, **overrides)
    app = create_vllm_app(config)
    _fix_sources(app)
    return app


def _fix_sources(app: Starlette) -> None:
    """The same id and clock sources on both sides, restarted for every comparison."""
    state = app.state.fake
    hexes, uuids, uuid4s = itertools.count(1), itertools.count(1), itertools.count(1)
    # the count in every 8 hex digits: ids stay distinct however short a release cuts them
    state.hex_source = lambda: f"{next(hexes):08x}" * 4
    state.uuid_hex = lambda: f"{next(uuids):032x}"
    state.new_uuid = lambda: str(uuid.UUID(int=next(uuid4s)))
    state.now = lambda: 1_700_000_000.75


def _fast_middleware(app: Starlette) -> FastPathMiddleware:
    layer: Any = app.middleware_stack
    while not isinstance(layer, FastPathMiddleware):
        layer = layer.app
    return layer


async def _exchange(app: ASGIApp, path: str, body: bytes, headers: dict[str, str]) -> Wire:
    """Every ASGI message the app sends, as sent: status, headers and each body chunk."""
    raw = [(b"host", b"fake"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    if "content-type" not in headers:
        raw.append((b"content-type", b"application/json"))
    return await messages_sent(app, "POST", path, body, raw, ("fake", 80))


def _both(
    fast: Starlette,
    reference: Starlette,
    body: bytes,
    headers: dict[str, str],
    path: str = CHAT,
) -> tuple[Wire, Wire, bool]:
    """Both answers, and whether the fast path answered (not handed on) the request. What
    the request leaves behind must match too: the log entry, the metrics' counters and the
    script rules' use counts."""

    async def run() -> tuple[Wire, Wire, bool]:
        before = _fast_middleware(fast).answered if fast.middleware_stack else 0
        got = await _exchange(fast, path, body, headers)
        taken = _fast_middleware(fast).answered > before
        return got, await _exchange(reference, path, body, headers), taken

    got, expected, taken = asyncio.run(run())
    assert _left_behind(fast) == _left_behind(reference)
    return got, expected, taken


def _left_behind(app: Starlette) -> tuple[Any, ...]:
    state = app.state.fake
    entry = state.log.entries()[-1] if len(state.log) else None
    logged = entry and (
        entry.method,
        entry.path,
        entry.headers,
        entry.body,
        entry.status,
        entry.response_headers,
        [chunk for _, chunk in entry.chunks],
        entry.complete,
    )
    counters = [
        line
        for line in state.metrics.render().decode().splitlines()
        if line.startswith(("vllm:prompt_tokens_total", "vllm:generation_tokens_total"))
        or line.startswith("vllm:request_success_total")
    ]
    return logged, counters, state.player._uses, state.scheduler.running


def _scenario_bodies(scenario: Scenario, model: str) -> Iterator[dict[str, Any]]:
    """The scenario's request as the HTTP driver writes it, and as openai-python asks for
    stream usage."""
    request = scenario.request
    body: dict[str, Any] = {"model": model, "messages": list(request.messages)}
    if request.tools is not None:
        body["tools"] = list(request.tools)
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    if request.stream:
        body["stream"] = True
        yield body
        yield {**body, "stream_options": {"include_usage": True}}
        yield {**body, "stream_options": {"include_usage": True, "continuous_usage_stats": True}}
    else:
        yield body


SCENARIO_LIST = [s for s in SCENARIOS.all() if s.runs_on == PROFILES]


def _scenario_apps(profile: Profile) -> Iterator[tuple[Scenario, Starlette, Starlette]]:
    """Each scenario that applies to ``profile``, with a fast and a reference app: on the
    default reply (what the fast path is for), and again with the scenario's own script,
    faults and flags when it has any."""
    for scenario in SCENARIO_LIST:
        if scenario.applies is not None and not scenario.applies(profile.knobs):
            continue
        overrides = dict(scenario.vllm)
        setups: list[dict[str, Any]] = [{}]
        if scenario.script is not None or scenario.faults or overrides:
            setups.append(
                {
                    **overrides,
                    **({"script": scenario.script} if scenario.script else {}),
                    "faults": scenario.faults,
                }
            )
        for setup in setups:
            yield scenario, _app(profile, fast=True, **setup), _app(profile, fast=False, **setup)


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_every_scenario_request_gets_the_same_bytes_on_both_paths(profile: Profile) -> None:
    taken = compared = 0
    for scenario, fast, reference in _scenario_apps(profile):
        model = scenario.model or fast.state.fake.config.served_model_names[0]
        for body in _scenario_bodies(scenario, model):
            raw = orjson.dumps(body)
            got, expected, answered = _both(fast, reference, raw, {})
            assert got == expected, (profile.name, scenario.id, body)
            compared += 1
            taken += answered
    assert compared and taken, (compared, taken)  # the fast path answered some of them


# --- generated bodies ------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
# what orjson can write: the bodies are sent as orjson writes them (integers past 64 bits are
# the JSON parser's tests' business)
_integer = st.integers(min_value=-(2**63), max_value=2**64 - 1)
_content = st.one_of(
    _text,
    st.none(),
    _integer,
    st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": _text}), max_size=2),
)
_message = st.one_of(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "system", "assistant"]), "content": _text}
    ),
    st.fixed_dictionaries(
        {"role": st.one_of(_text, _integer), "content": _content},
        optional={"name": _text},
    ),
)
_maybe = st.sampled_from([None, True, False, 0, 1, 0.5, "x", [], {}])
_plain_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "system", "assistant"]), "content": _text}
)
# bodies the fast path takes, mostly: every field plain
_plain = st.fixed_dictionaries(
    {"messages": st.lists(_plain_message, max_size=3)},
    optional={
        "model": st.just("fake-model"),
        "stream": st.booleans(),
        "stream_options": st.fixed_dictionaries(
            {},
            optional={
                "include_usage": st.one_of(st.booleans(), st.none()),
                "continuous_usage_stats": st.one_of(st.booleans(), st.none()),
            },
        ),
        "max_tokens": st.one_of(st.integers(min_value=1, max_value=40), st.just(8190)),
        "temperature": st.floats(allow_nan=False, allow_infinity=False),
        "top_p": st.one_of(st.floats(0, 1), st.none()),
    },
)
# one field the fast path must hand on (or take only when its answer is the same)
_odd = st.one_of(
    st.tuples(st.just("n"), st.sampled_from([1, 2])),
    st.tuples(st.just("stop"), st.sampled_from(["ipsum", ["dolor"], None])),
    st.tuples(st.just("user"), _text),
    st.tuples(st.just("model"), st.sampled_from(["other", None, 3, ""])),
    st.tuples(st.just("messages"), st.one_of(st.lists(_message, min_size=1, max_size=2), _maybe)),
    st.tuples(st.just("stream"), _maybe),
    st.tuples(st.just("stream_options"), st.one_of(_maybe, st.just({"extra": True}))),
    st.tuples(st.just("max_tokens"), st.one_of(st.integers(-2, 0), st.just(9000), _maybe)),
    st.tuples(st.just("temperature"), _maybe),
    st.tuples(st.just("tools"), st.just([])),
)
_body = st.one_of(
    _plain,
    st.builds(lambda body, odd: {**body, odd[0]: odd[1]}, _plain, _odd),
)
_headers = st.fixed_dictionaries(
    {},
    optional={
        "x-request-id": st.text(alphabet="abc-_09 \"'\\", min_size=0, max_size=6),
        "content-type": st.sampled_from(
            ["application/json", "text/plain", "application/json; charset=utf-8"]
        ),
    },
)

# scripts whose rules the fast path writes (or hands on: an error, an echo)
SCRIPTS = {
    "none": Script(),
    "always": Script(rules=(Rule(reply=Reply(text="Scripted, every time.")),)),
    "twice then lorem": Script(
        rules=(Rule(match=Match(contains="a"), reply=Reply(text="Only twice"), times=2),)
    ),
    "stream only, reasoning": Script(
        rules=(Rule(match=Match(stream=True), reply=Reply(text="ok", reasoning="Think.")),)
    ),
    "an error": Script(rules=(Rule(reply=Reply(error=ErrorReply(status=429))),)),
    "echo": Script(default=DefaultReply.ECHO),
    "long lorem": Script(lorem_words=30),
    "finish eos": Script(rules=(Rule(reply=Reply(text="x y z", finish_reason="eos")),)),
    "reasoning, parser on": Script(rules=(Rule(reply=Reply(text="ok", reasoning="Think.")),)),
    "lorem, auto tools on": Script(),
}
# what else the app is started with, by script name
SETUPS: dict[str, dict[str, Any]] = {
    "reasoning, parser on": {"reasoning_parser": "deepseek_r1"},
    "lorem, auto tools on": {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"},
}
_APPS: dict[tuple[str, str], tuple[Starlette, Starlette]] = {}


def _apps(profile: Profile, script: str) -> tuple[Starlette, Starlette]:
    """Kept across examples: both apps see the same requests in the same order, so their
    script counters and logs advance alike."""
    key = (profile.name, script)
    if key not in _APPS:
        chosen, setup = SCRIPTS[script], SETUPS.get(script, {})
        _APPS[key] = (
            _app(profile, fast=True, script=chosen, **setup),
            _app(profile, fast=False, script=chosen, **setup),
        )
    fast, reference = _APPS[key]
    _fix_sources(fast)
    _fix_sources(reference)
    return fast, reference


def _as_completion(body: dict[str, Any]) -> dict[str, Any]:
    """The same body for /v1/completions: the messages' text becomes the prompt."""
    out = {k: v for k, v in body.items() if k != "messages"}
    messages = body.get("messages")
    if isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
        out["prompt"] = " ".join(str(m.get("content")) for m in messages)
    else:
        out["prompt"] = messages
    return out


def _as_responses(body: dict[str, Any]) -> dict[str, Any]:
    """The same body for /v1/responses: the messages become the input items."""
    out = {k: v for k, v in body.items() if k not in ("messages", "max_tokens")}
    out["input"] = body.get("messages")
    if "max_tokens" in body:
        out["max_output_tokens"] = body["max_tokens"]
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PROFILE_LIST),
    st.sampled_from(sorted(SCRIPTS)),
    st.sampled_from([CHAT, COMPLETIONS]),
    _body,
    _headers,
)
def test_generated_bodies_get_the_same_bytes_on_both_paths(
    profile: Profile, script: str, path: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    fast, reference = _apps(profile, script)
    if path == COMPLETIONS:
        body = _as_completion(body)
    got, expected, _ = _both(fast, reference, orjson.dumps(body), headers, path)
    assert got == expected


@pytest.mark.parametrize("path", [CHAT, COMPLETIONS, RESPONSES])
@pytest.mark.parametrize("script", ["none", "always", "finish eos", "reasoning, parser on"])
def test_plain_requests_are_answered_by_the_fast_path(path: str, script: str) -> None:
    """The differential tests would pass if every request were handed on: these must not be."""
    profile = PROFILE_LIST[-1]
    setup = {"script": SCRIPTS[script], **SETUPS.get(script, {})}
    fast, reference = _app(profile, fast=True, **setup), _app(profile, fast=False, **setup)
    plain = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    for stream in (False, True):
        body = {**plain, "stream": stream}
        if path == COMPLETIONS:
            body = _as_completion(body)
        elif path == RESPONSES:
            body = _as_responses(body)
        got, expected, answered = _both(fast, reference, orjson.dumps(body), {}, path)
        assert answered and got == expected


@pytest.mark.parametrize("exclude_none", [False, True])
@pytest.mark.parametrize("script", ["none", "finish eos", "reasoning, parser on"])
def test_chunks_dumped_without_nulls_are_the_same_on_both_paths(
    script: str, exclude_none: bool
) -> None:
    """chunk_exclude_none (0.9.0-0.9.1) on streams the fast path answers itself, with and
    without usage, cut for length or not: the same bytes on both paths, and the content and
    finish chunks as exclude_none writes them (no null, the delta's tool_calls [])."""
    vllm_0_9_0 = builtin("vllm").get("vllm-0.9.0")
    assert vllm_0_9_0.knobs.chunk_exclude_none
    profile = with_knobs(vllm_0_9_0, {"chunk_exclude_none": exclude_none})
    setup = {"script": SCRIPTS[script], **SETUPS.get(script, {})}
    fast, reference = _app(profile, fast=True, **setup), _app(profile, fast=False, **setup)
    plain = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    usages = [
        None,
        {"include_usage": True},
        {"include_usage": True, "continuous_usage_stats": True},
    ]
    for options, max_tokens in itertools.product(usages, [None, 2]):
        body: dict[str, Any] = {**plain, "stream": True}
        if options is not None:
            body["stream_options"] = options
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        got, expected, answered = _both(fast, reference, orjson.dumps(body), {})
        assert answered and got == expected, body
        sent = b"".join(m.get("body", b"") for m in got if m["type"] == "http.response.body")
        events = [line[6:] for line in sent.split(b"\n") if line.startswith(b"data: {")]
        after_role = [orjson.loads(e) for e in events[1:]]
        choices = [c["choices"][0] for c in after_role if c["choices"]]
        assert choices, body
        dumped = events[1 : 1 + len(choices)]  # the role chunk keeps exclude_unset
        assert (b"null" in dumped[0]) != exclude_none, body  # a content chunk
        assert not exclude_none or not any(b"null" in e for e in dumped), body
        assert all(("tool_calls" in c["delta"]) == exclude_none for c in choices), body


def test_the_switch_keeps_the_reference_path_reachable() -> None:
    profile = PROFILE_LIST[-1]

    def layers(app: Starlette) -> Iterator[Any]:
        layer: Any = app.build_middleware_stack()
        while layer is not None:
            yield layer
            layer = getattr(layer, "app", None)

    assert not any(
        isinstance(layer, FastPathMiddleware) for layer in layers(_app(profile, fast=False))
    )
    fast = _app(profile, fast=True)
    assert isinstance(next(layers(fast)), FastPathMiddleware)  # outermost
    body = orjson.dumps({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]})
    got, expected, answered = _both(fast, _app(profile, fast=False), body, {})
    assert answered and got == expected


def test_a_render_that_fails_hands_the_request_to_the_reference_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any) -> Any:
        raise ValueError("a knob the templates do not know")

    monkeypatch.setitem(
        _dispatch.ROUTES, CHAT, dataclasses.replace(_dispatch.ROUTES[CHAT], render=broken)
    )
    profile = PROFILE_LIST[-1]
    body = orjson.dumps({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]})
    got, expected, answered = _both(_app(profile, fast=True), _app(profile, fast=False), body, {})
    assert not answered and got == expected
    assert got[0]["status"] == 200


# --- a client that leaves mid-stream ---------------------------------------------------------


async def _leaving_exchange(
    app: Starlette, body: bytes, *, after: int, how: str
) -> tuple[Wire, Any]:
    """A stream whose client leaves once ``after`` body messages have gone out: from then on
    its ``receive`` says ``http.disconnect`` ("receive", as uvicorn tells a stream), or only its
    ``send`` raises OSError ("send", as an ASGI 2.4 server's may). Returns the messages the
    client got and the exception types the app raised (exception groups flattened)."""
    sent: Wire = []
    left = asyncio.Event()
    receive = request_then_disconnect(body, left)

    async def send(message: dict[str, Any]) -> None:
        bodies = sum(m["type"] == "http.response.body" for m in sent)
        if how == "send" and message["type"] == "http.response.body" and bodies >= after:
            raise OSError("the client left")
        sent.append(message)
        if how == "receive" and message["type"] == "http.response.body" and bodies + 1 >= after:
            left.set()

    headers = [
        (b"host", b"fake"),
        (b"content-length", str(len(body)).encode()),
        (b"content-type", b"application/json"),
    ]
    scope = http_scope("POST", CHAT, headers, ("fake", 80))
    raised: Any = ()
    try:
        await app(scope, receive, send)
    except BaseException as exc:  # what the server would see
        raised = _leaves(exc)
    return sent, raised


def _leaves(exc: BaseException) -> tuple[str, ...]:
    if isinstance(exc, BaseExceptionGroup):
        return tuple(name for inner in exc.exceptions for name in _leaves(inner))
    return (type(exc).__name__,)


STREAM_BODY = orjson.dumps(
    {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": True}
)


async def _both_leaving(
    fast: Starlette, reference: Starlette, after: int, how: str
) -> tuple[tuple[Wire, Any], tuple[Wire, Any]]:
    got = await _leaving_exchange(fast, STREAM_BODY, after=after, how=how)
    return got, await _leaving_exchange(reference, STREAM_BODY, after=after, how=how)


def _events(profile: Profile) -> int:
    """How many body messages a whole stream sends (the events, [DONE], the empty last one)."""
    got, _, _ = _both(_app(profile, fast=True), _app(profile, fast=False), STREAM_BODY, {})
    return sum(m["type"] == "http.response.body" for m in got)


@pytest.mark.parametrize("how", ["receive", "send"])
@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_a_client_that_leaves_mid_stream_leaves_the_same_behind(profile: Profile, how: str) -> None:
    """Not complete, not counted in the metrics, the slot given back, on both paths. A failed
    send ends both at once; a client that has left is noticed by the reference path after
    every event, by the fast path after the first one and after [DONE]: between them it
    writes on, so only there may it log (and send) more events than the reference path."""
    events = _events(profile)
    # after the first event, in the middle, and at [DONE]: the client has left once [DONE]
    # went out ("receive"), or [DONE] is the send that fails ("send")
    for after in (1, events // 2, events - 1 if how == "receive" else events - 2):
        fast, reference = _app(profile, fast=True), _app(profile, fast=False)
        (got, got_raised), (expected, expected_raised) = asyncio.run(
            _both_leaving(fast, reference, after, how)
        )
        assert _fast_middleware(fast).answered == 1  # the fast path took it
        assert got_raised == expected_raised == (("OSError",) if how == "send" else ())
        logged, counters, uses, running = _left_behind(fast)
        assert (counters, uses, running) == _left_behind(reference)[1:]
        assert not any(line.startswith("vllm:request_success_total{") for line in counters)
        assert running == 0  # the slot was given back
        expected_logged = _left_behind(reference)[0]
        assert logged[:-2] == expected_logged[:-2]
        assert logged[-1] is expected_logged[-1] is False  # not complete
        chunks, expected_chunks = logged[-2], expected_logged[-2]
        # the chunk whose send failed is logged, as the capture middleware logs it
        assert len(expected_chunks) == after + (how == "send")
        if how == "send" or after in (1, events - 1):
            assert got == expected
            assert chunks == expected_chunks
        else:  # left between the fast path's two checks: it wrote on to [DONE]
            assert got[: len(expected)] == expected and len(got) == events  # start + bodies
            assert chunks[: len(expected_chunks)] == expected_chunks
            assert chunks[-1] == b"data: [DONE]\n\n"


def test_a_kept_body_follows_the_profile_and_the_script() -> None:
    """The fast path keeps what a repeated body asks for; a profile switch, a knob set at run
    time or a new script (the console, the control plane) must reach it all the same."""
    newest, oldest = PROFILE_LIST[-1], PROFILE_LIST[0]
    fast, reference = _app(newest, fast=True), _app(newest, fast=False)
    # stream_options: taken on the newest profile, a 400 (unknown field) on the oldest
    body = orjson.dumps({**orjson.loads(STREAM_BODY), "stream_options": {"include_usage": True}})
    changes = [
        lambda state: state.set_profile(oldest.name),
        lambda state: state.set_profile(newest.name),
        lambda state: state.set_knobs({"chat_id_prefix": "kept-"}),
        lambda state: setattr(state, "player", ScriptPlayer(SCRIPTS["always"])),
    ]
    answers: list[tuple[int, bytes]] = []
    for change in [None, *changes]:
        for app in (fast, reference):
            if change is not None:
                change(app.state.fake)
            _fix_sources(app)
        for _ in range(2):  # the second time from what was kept
            got, expected, answered = _both(fast, reference, body, {})
            assert got == expected
            assert answered == (change is not changes[0])
        answers.append((got[0]["status"], b"".join(m.get("body", b"") for m in got[1:])))
    assert all(a != b for a, b in itertools.pairwise(answers))  # every change showed
    assert answers[1][0] == 400


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
def test_a_long_plain_body_is_answered_but_not_kept(path: str) -> None:
    """A long body's answer is filled from the shape's template, a kept one's from the
    template bound to the body: the same bytes either way."""
    profile = PROFILE_LIST[-1]
    fast, reference = _app(profile, fast=True), _app(profile, fast=False)
    sizes = []
    for words in (10, 600):  # about 60 bytes, then about 3 KiB
        message = {"role": "user", "content": "word " * words}
        body = {"model": "fake-model", "messages": [message]}
        raw = orjson.dumps(_as_responses(body) if path == RESPONSES else body)
        for _ in range(2):
            got, expected, answered = _both(fast, reference, raw, {}, path)
            assert answered and got == expected
        sizes.append(len(raw))
    assert [len(body) for _, body in _fast_middleware(fast)._kept] == sizes[:1]


@pytest.mark.parametrize("path", [CHAT, COMPLETIONS, RESPONSES])
def test_a_middleware_that_changes_the_headers_in_place_changes_one_answer(path: str) -> None:
    """Answers of one length share their header pairs, not the list: a middleware around
    the fake may change the list it is sent in place (starlette's GZipMiddleware does)."""
    app = _app(PROFILE_LIST[-1], fast=True)
    raw = orjson.dumps(
        {"model": "fake-model", "input": "hi"}
        if path == RESPONSES
        else {"model": "fake-model", "prompt": "hi"}
        if path == COMPLETIONS
        else {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    )
    marked: list[Any] = []

    async def marking(scope: Any, receive: Any, send: Any) -> None:
        async def marked_send(message: Any) -> None:
            if message["type"] == "http.response.start" and not marked:
                message["headers"].append((b"x-marked", b"once"))
                marked.append(message["headers"])
            await send(message)

        await app(scope, receive, marked_send)

    async def twice() -> list[Wire]:
        return [await _exchange(marking, path, raw, {}) for _ in range(2)]

    first, second = asyncio.run(twice())
    head = [message["headers"] for message in (first[0], second[0])]
    assert (b"x-marked", b"once") in head[0] and (b"x-marked", b"once") not in head[1]
    assert head[0][:-1] == head[1]  # the same pairs otherwise: one length, one id length
    assert _fast_middleware(app).answered == 2


@pytest.mark.parametrize("path", [CHAT, COMPLETIONS, RESPONSES])
@pytest.mark.parametrize("stream", [False, True])
def test_a_repeated_body_follows_its_script_rule_by_rule(path: str, stream: bool) -> None:
    """A kept body keeps its answer per script rule: the same body answered by a rule twice,
    then by the default reply, gives the reference path's bytes each time."""
    profile = PROFILE_LIST[-1]
    setup = {"script": SCRIPTS["twice then lorem"]}
    fast, reference = _app(profile, fast=True, **setup), _app(profile, fast=False, **setup)
    body: dict[str, Any] = {"model": "fake-model", "messages": [{"role": "user", "content": "a"}]}
    body = {CHAT: body, COMPLETIONS: _as_completion(body), RESPONSES: _as_responses(body)}[path]
    raw = orjson.dumps({**body, "stream": stream})
    answers = []
    for _ in range(4):
        got, expected, answered = _both(fast, reference, raw, {}, path)
        assert answered and got == expected
        answers.append(b"".join(m.get("body", b"") for m in got[1:]))
    assert [b"Only" in answer for answer in answers] == [True, True, False, False]
    assert len(_fast_middleware(fast)._kept) == 1


# --- /v1/responses ---------------------------------------------------------------------------


def _responses_bodies(scenario: Scenario, model: str) -> list[dict[str, Any]]:
    """The scenario's request as the responses drivers write it: the HTTP driver's payload,
    and openai-python's (no tool_choice; stream as a parameter)."""
    request = scenario.request
    http = responses_payload(request, model)
    sdk: dict[str, Any] = {"model": model, "input": list(request.messages)}
    if request.tools is not None:
        sdk["tools"] = [{"type": "function", **t["function"]} for t in request.tools]
    if request.max_tokens is not None:
        sdk["max_output_tokens"] = request.max_tokens
    if request.stream:
        sdk["stream"] = True
    return [http] if sdk == http else [http, sdk]


def _streams_responses(profile: Profile) -> bool:
    knobs = profile.knobs
    return (
        knobs.responses is ResponsesRoute.STREAMING
        and knobs.responses_event_response is ResponsesEventResponse.BODY
    )


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_every_scenario_responses_request_gets_the_same_bytes_on_both_paths(
    profile: Profile,
) -> None:
    taken = compared = streamed = 0
    for scenario, fast, reference in _scenario_apps(profile):
        model = scenario.model or fast.state.fake.config.served_model_names[0]
        for body in _responses_bodies(scenario, model):
            got, expected, answered = _both(fast, reference, orjson.dumps(body), {}, RESPONSES)
            assert got == expected, (profile.name, scenario.id, body)
            compared += 1
            taken += answered
            streamed += answered and bool(body.get("stream"))
    if profile.knobs.responses is ResponsesRoute.ABSENT:
        assert compared and not taken  # the router's 404, through the reference path
    else:
        assert compared and taken, (compared, taken)
        assert bool(streamed) == _streams_responses(profile), streamed


_ROLES = ["user", "assistant", "system", "developer"]
_plain_item = st.fixed_dictionaries(
    {"role": st.sampled_from(_ROLES), "content": _text}, optional={"type": st.just("message")}
)
# items the reference path validates (many are 400s): odd roles, typed content, other types
_item = st.one_of(
    _plain_item,
    st.fixed_dictionaries(
        {"role": st.sampled_from([*_ROLES, "tool", ""]), "content": _content},
        optional={
            "type": st.sampled_from(["message", "input_text", None]),
            "phase": st.sampled_from([None, "commentary"]),
            "status": st.just("completed"),
        },
    ),
    st.fixed_dictionaries(
        {"type": st.just("function_call_output"), "call_id": _text, "output": _text}
    ),
    st.fixed_dictionaries({"type": st.just("item_reference"), "id": _text}),
)
_number = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-2, 3), st.none())
_plain_responses = st.fixed_dictionaries(
    {"input": st.one_of(_text, st.lists(_plain_item, max_size=3))},
    optional={
        "model": st.just("fake-model"),
        "stream": st.booleans(),
        "instructions": st.one_of(_text, st.none()),
        "max_output_tokens": st.one_of(st.integers(min_value=1, max_value=40), st.just(8190)),
        "temperature": _number,
        "top_p": _number,
    },
)
_odd_responses = st.one_of(
    st.tuples(st.just("input"), st.one_of(st.lists(_item, min_size=1, max_size=2), _maybe)),
    st.tuples(st.just("instructions"), _maybe),
    st.tuples(st.just("max_output_tokens"), st.one_of(st.integers(-2, 0), st.just(9000), _maybe)),
    st.tuples(st.just("stream"), _maybe),
    st.tuples(st.just("temperature"), _maybe),
    st.tuples(st.just("top_p"), _maybe),
    st.tuples(st.just("model"), st.sampled_from(["other", None, 3, ""])),
    st.tuples(
        st.just("tools"),
        st.sampled_from([[], [{"type": "function", "name": "f", "parameters": {}}]]),
    ),
    st.tuples(
        st.just("tool_choice"),
        st.sampled_from(["auto", "none", "required", None, {"type": "function", "name": "f"}]),
    ),
    st.tuples(st.just("store"), st.booleans()),
    st.tuples(st.just("background"), st.booleans()),
    st.tuples(st.just("previous_response_id"), st.just("resp_1")),
    st.tuples(st.just("reasoning"), st.just({"effort": "low"})),
    st.tuples(st.just("presence_penalty"), st.sampled_from([0, 0.5])),
    st.tuples(st.just("stream_options"), st.just({"include_usage": True})),
    st.tuples(st.just("user"), _text),
)
_responses_body = st.one_of(
    _plain_responses,
    st.builds(lambda body, odd: {**body, odd[0]: odd[1]}, _plain_responses, _odd_responses),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([p for p in PROFILE_LIST if p.knobs.responses is not ResponsesRoute.ABSENT]),
    st.sampled_from(sorted(SCRIPTS)),
    _responses_body,
    _headers,
)
def test_generated_responses_bodies_get_the_same_bytes_on_both_paths(
    profile: Profile, script: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    fast, reference = _apps(profile, script)
    got, expected, _ = _both(fast, reference, orjson.dumps(body), headers, RESPONSES)
    assert got == expected


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
def test_a_scrape_during_a_stream_sees_the_same_metrics_on_both_paths(path: str) -> None:
    """The running-requests gauge lists the models the route told the metrics of before
    finishing: chat does at once, the responses route only when done."""
    profile = PROFILE_LIST[-1]
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    raw = orjson.dumps(_as_responses(body) if path == RESPONSES else body)

    def scrape_at_first_event(app: Starlette) -> list[str]:
        seen: list[str] = []
        scraped = False
        state = app.state.fake

        async def run() -> None:
            async def send(message: dict[str, Any]) -> None:
                nonlocal scraped
                if message["type"] == "http.response.body" and not scraped:
                    scraped = True
                    text = state.metrics.render().decode()
                    seen.extend(x for x in text.splitlines() if x.startswith("vllm:num_requests"))

            scope = {
                "type": "http",
                "method": "POST",
                "path": path,
                "query_string": b"",
                "headers": [
                    (b"content-length", str(len(raw)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
            sent = False

            async def receive() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    await asyncio.Event().wait()  # never: the stream ends first
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}

            await app(scope, receive, send)

        asyncio.run(run())
        return seen

    fast = _app(profile, fast=True)
    got = scrape_at_first_event(fast)
    assert _fast_middleware(fast).answered == 1
    assert got == scrape_at_first_event(_app(profile, fast=False))
    assert bool(got) == (path == CHAT), got


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
@pytest.mark.parametrize("text", ["fastPathIdSlot0x", "at 7777777777777", "fastPathMoreSlot0x"])
def test_a_text_holding_a_sentinel_is_handed_on(path: str, text: str) -> None:
    """Echoed instructions or a scripted reply holding a slot's sentinel would be filled in
    as a slot: the reference path answers them."""
    profile = PROFILE_LIST[-1]
    script = Script(rules=(Rule(match=Match(contains="scripted"), reply=Reply(text=text)),))
    fast, reference = (
        _app(profile, fast=True, script=script),
        _app(profile, fast=False, script=script),
    )
    bodies = [{"model": "fake-model", "messages": [{"role": "user", "content": "scripted"}]}]
    if path == RESPONSES:
        bodies = [_as_responses(bodies[0])]
        bodies.append({"model": "fake-model", "input": "hi", "instructions": text})
    for body in bodies:
        got, expected, answered = _both(fast, reference, orjson.dumps(body), {}, path)
        assert not answered and got == expected
        assert text.encode() in got[1]["body"]

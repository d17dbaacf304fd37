"""The chat route's raw dispatch and the starlette stack give the same ASGI messages (status,
headers in order, every body chunk) and leave the same request log, for every LiteLLM
profile and every kind of chat request: plain, streamed, mock answers, upstream errors,
refused keys, bad bodies, a body past the limit, and the requests it hands on. Ids and
"created" come from the same fixed sources on both sides; only the two duration headers'
values (milliseconds this call took) are set aside."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette

from fakes.litellm import (
    Deployment,
    LitellmConfig,
    _bodies,
    _headers,
    _stream,
    create_litellm_app,
)
from fakes.litellm._dispatch import ChatDispatch
from fakes.model.faults import Fault, FaultRule
from fakes.profiles import LitellmProfile, builtin
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests._asgi_messages import Wire, messages_sent
from tests.conftest import vllm_config

KEY = "sk-llmfakes-Str0ng-Master-Key-123"
AUTH = {"authorization": f"Bearer {KEY}"}
CHAT = "/v1/chat/completions"
HI = [{"role": "user", "content": "hi"}]
# (path, method, body, headers, upstream fault)
Case = tuple[str, str, bytes, dict[str, str], dict[str, Any] | None]
_DURATIONS = {b"x-litellm-response-duration-ms", b"x-litellm-overhead-duration-ms"}


def _json(**body: Any) -> bytes:
    return orjson.dumps({"model": "fake-model", "messages": HI, **body})


CASES: dict[str, Case] = {
    "plain": (CHAT, "POST", _json(), AUTH, None),
    "without /v1": ("/chat/completions", "POST", _json(), AUTH, None),
    "stream": (CHAT, "POST", _json(stream=True), AUTH, None),
    "stream with usage": (
        CHAT, "POST", _json(stream=True, stream_options={"include_usage": True}), AUTH, None
    ),
    "mock answer": (CHAT, "POST", _json(model="mock-model"), AUTH, None),
    "mock stream": (CHAT, "POST", _json(model="mock-model", stream=True), AUTH, None),
    "no key": (CHAT, "POST", _json(), {}, None),
    "wrong key": (CHAT, "POST", _json(), {"authorization": "Bearer sk-wrong"}, None),
    "malformed key": (CHAT, "POST", _json(), {"authorization": "Basic x"}, None),
    "unknown model": (CHAT, "POST", _json(model="other"), AUTH, None),
    "malformed JSON": (CHAT, "POST", b'{"model": ', AUTH, None),
    "no messages": (CHAT, "POST", orjson.dumps({"model": "fake-model"}), AUTH, None),
    "odd messages": (CHAT, "POST", _json(messages="hi"), AUTH, None),
    "past the body limit": (CHAT, "POST", _json(padding="x" * 4096), AUTH, None),
    "GET: handed on": (CHAT, "GET", b"", AUTH, None),
    "a deployment path: handed on": (
        "/openai/deployments/fake-model/chat/completions", "POST", _json(), AUTH, None
    ),
    # last: a 429 puts the deployment in cooldown, whose errors then quote the time it began
    "upstream 500": (CHAT, "POST", _json(), AUTH, {"kind": "http_error", "status": 500}),
    "upstream 429, streamed": (
        CHAT, "POST", _json(stream=True), AUTH, {"kind": "http_error", "status": 429}
    ),
}  # fmt: skip


def _app(profile: LitellmProfile, *, fast: bool) -> Starlette:
    upstream = create_vllm_app(vllm_config("0.9.2"))
    deployments = (
        Deployment("fake-model", "hosted_vllm", "fake-model", api_base="http://upstream.fake/v1"),
        Deployment("mock-model", "openai", "gpt-4o", mock_response="Hello from the mock"),
    )
    config = LitellmConfig(
        profile,
        profile.reference,
        deployments,
        master_key=KEY,
        max_body_bytes=4096,
        fast_path=fast,
    )
    app = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    app.state.upstream = upstream
    return app


def _fix_sources(app: Starlette) -> None:
    hexes = itertools.count(1)
    state = app.state.upstream.state.fake
    state.hex_source = lambda: f"{next(hexes):032x}"
    state.now = lambda: 1_700_000_000.0


async def _exchange(app: Starlette, case: Case) -> Wire:
    path, method, body, headers = case[:4]
    fault = case[4]
    upstream = app.state.upstream.state.fake
    upstream.faults.set(() if fault is None else (FaultRule(fault=Fault.model_validate(fault)),))
    raw = [(b"host", b"proxy"), (b"content-length", str(len(body)).encode())]
    raw += [(b"content-type", b"application/json")] if body else []
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    sent = await messages_sent(app, method, path, body, raw, ("proxy", 80))
    return [_timeless(message) for message in sent]


def _timeless(message: dict[str, Any]) -> dict[str, Any]:
    if message["type"] != "http.response.start":
        return message
    headers = [(k, b"(ms)" if k in _DURATIONS else v) for k, v in message["headers"]]
    return {**message, "headers": headers}


def _logged(app: Starlette) -> tuple[Any, ...]:
    entry = app.state.fake.log.entries()[-1]
    return (
        entry.method,
        entry.path,
        entry.headers,
        entry.body,
        entry.status,
        {k: "(ms)" if k.encode() in _DURATIONS else v for k, v in entry.response_headers.items()},
        [chunk for _, chunk in entry.chunks],
        entry.complete,
    )


@pytest.fixture
def restart_ids(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """The call ids, the mock answers' ids and "created" from fixed sources; calling the
    fixture's value starts the ids over (before each side's request)."""
    ids: Iterator[int] = iter(())

    def restart() -> None:
        nonlocal ids
        ids = itertools.count(1)

    fixed_uuid = SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(ids)))
    clock = SimpleNamespace(time=lambda: 1_700_000_000.0)
    for module in (_headers, _bodies, _stream):
        monkeypatch.setattr(module, "uuid", fixed_uuid)
    for module in (_bodies, _stream):  # "created" of mock answers and re-stamped chunks
        monkeypatch.setattr(module, "time", clock)
    restart()
    yield restart


def _dispatch(app: Starlette) -> ChatDispatch:
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    layer: Any = app.middleware_stack
    while not isinstance(layer, ChatDispatch):
        layer = layer.app
    return layer


@pytest.mark.parametrize("profile", list(builtin("litellm")), ids=lambda p: p.name)
def test_every_chat_request_gets_the_same_messages_on_both_paths(
    profile: LitellmProfile, restart_ids: Callable[[], None]
) -> None:
    fast, reference = _app(profile, fast=True), _app(profile, fast=False)

    async def run() -> None:
        for name, case in CASES.items():
            answers = []
            for app in (fast, reference):
                _fix_sources(app)
                restart_ids()
                answers.append(await _exchange(app, case))
            got, expected = answers
            assert got == expected, name
            assert _logged(fast) == _logged(reference), name
        logged = len(CASES) - 1  # all but the body past the limit
        assert len(fast.state.fake.log) == len(reference.state.fake.log) == logged

    asyncio.run(run())


def test_the_dispatch_answers_the_chat_route_and_the_switch_turns_it_off() -> None:
    """The comparison above would pass if the dispatch handed everything on: it must not."""
    profile = list(builtin("litellm"))[-1]
    fast, reference = _app(profile, fast=True), _app(profile, fast=False)
    answered: list[int] = []

    async def run() -> None:
        for app in (fast, reference):
            _fix_sources(app)
            layer = _dispatch(app)
            calls: list[str] = []

            async def counting(
                scope: Any, receive: Any, send: Any, app: Any = layer.app, calls: Any = calls
            ) -> None:
                calls.append(scope["path"])
                await app(scope, receive, send)

            layer.app = counting
            for name in ("plain", "stream", "GET: handed on"):
                await _exchange(app, CASES[name])
            answered.append(len(calls))

    asyncio.run(run())
    assert answered == [1, 3]  # only the GET went on to starlette; all three without the switch

"""Hostile input on every route of every fake: never a 500 the imitated backend would not
give, never a traceback, never a hang, errors in the backend's own shape."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fakes.record import load
from fakes.transports.streaming import StreamingASGITransport
from tests.reliability._targets import (
    BUILDERS,
    PLAIN_500,
    REFERENCE_CASSETTE,
    Fleet,
    Target,
    check_success,
    json_or_none,
    litellm_error_shape,
    openai_error_shape,
    routes_for,
    vllm_error_shape,
    vllm_plain_500_expected,
)
from tests.reliability.figures import FIGURES

REQUEST_BOUND = 10.0  # seconds: longer is a hang
# make test: the same 800 cases every run; make soak: 8,000 more, freshly random each time
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "800"))
SOAK_EXAMPLES = int(os.environ.get("SOAK_FUZZ_EXAMPLES", "8000"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=16,
)
FIELDS = [
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "n",
    "tools",
    "tool_choice",
    "temperature",
    "stop",
    "max_completion_tokens",
    "prompt",
    "input",
    "api_key",
    "fault",
    "rules",
    "ttft",
    "since",
]
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "system", "assistant", "tool", 3]),
            "content": st.text(max_size=30) | st.none() | json_values,
        }
    ),
    max_size=3,
)
plausible = st.fixed_dictionaries(
    {
        "model": st.sampled_from(["fake-model", "mock-model", "other"]),
        "messages": messages,
    },
    optional={
        **{k: json_values for k in FIELDS[2:13]},
        "stream": st.booleans(),
        "prompt": st.text(max_size=20),
        "input": st.text(max_size=20),
        "tool_choice": st.sampled_from(["auto", "none", "required", "any", "bogus"]),
    },
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # big integers and NaN too, as some clients send them


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


bodies = st.one_of(
    plausible.map(_dumps),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(_dumps),
    json_values.map(_dumps),
    st.binary(max_size=80),
    st.sampled_from(
        [
            b"",
            b'{"model": "fake-model", "messages": [{"role": "user", "content": "\xff\xfe"}]}',
            b'{"model": "\xc3\x28"}',
            b"\xef\xbb\xbf{}",  # a BOM
            b"[" * 5000 + b"]" * 5000,
            b"[" * 200_000,
            b'{"a":' * 3000,
            b"1e999999",
            b'{"model": NaN}',
            b'{"n": 1e400}',
            b'{"max_tokens": 99999999999999999999999999999}',
        ]
    ),
    st.integers(1, 30_000).map(_nested),
    plausible.map(lambda v: gzip.compress(_dumps(v))),
)
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
header_names = st.sampled_from(
    [
        "authorization",
        "api-key",
        "x-api-key",
        "x-litellm-api-key",
        "x-request-id",
        "x-fake-fault",
        "accept",
        "accept-encoding",
        "content-encoding",
        "cookie",
        "x-forwarded-for",
        "user-agent",
        "expect",
    ]
)
fault_values = st.sampled_from(
    [
        "cut; after_chunks=2",
        "error_frame; after_chunks=1; message=boom",
        "http_error; status=503",
        "http_error; status=500",
        "http_error; status=429",
        "stall; after_chunks=1; seconds=0.01",
        "delay; seconds=0.01",
        "stall; seconds=-1",
        "nonsense",
        "http_error; status=abc",
    ]
)
# claimed, but the body is sent as it is (the fakes, like vLLM and LiteLLM, do not decode it)
encodings = st.sampled_from(["gzip", "br", "deflate", "identity", "gzip, gzip", "x-unknown"])
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/octet-stream",
        "application/json; charset=latin-1",
        ";;;",
    ]
)
methods = st.sampled_from(
    ["GET", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FOO"]
)
queries = st.one_of(
    st.just(""),
    st.dictionaries(
        st.sampled_from(["since", "key", "api_key", "stream", "model", "x"]),
        header_text,
        max_size=3,
    ).map(urlencode),
    st.sampled_from(["since=-1", "since=99999999999999999999", "since=abc", "%zz", "a=%ff%fe"]),
)
path_noise = st.sampled_from(
    ["", "/", "/../../etc/passwd", "%2e%2e/", "//", "/x" * 40, "?", "%00", "/%ff"]
)


@st.composite
def requests(draw: st.DrawFn, routes: list[str]) -> dict[str, Any]:
    path = draw(st.sampled_from(routes)) + draw(st.sampled_from(["", "", "", ""]) | path_noise)
    headers: dict[str, str] = {}
    for name in draw(st.lists(header_names, max_size=4, unique=True)):
        values = {"x-fake-fault": fault_values, "content-encoding": encodings}.get(name)
        headers[name] = draw(header_text if values is None else values)
    content_type = draw(content_types)
    if content_type is not None:
        headers["content-type"] = content_type
    return {
        "method": draw(methods),
        "path": path,
        "query": draw(queries),
        "headers": headers,
        "body": draw(bodies),
    }


async def _send(target: Target, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    transport = StreamingASGITransport(target.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://fake", timeout=REQUEST_BOUND
    ) as client:
        url = httpx.URL(request["path"])
        built = client.build_request(
            request["method"],
            url.copy_with(query=request["query"].encode("latin-1") or None),
            headers=[
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in request["headers"].items()
            ],
            content=request["body"],
        )
        response = await client.send(built, stream=True)
        body = b""
        try:
            async for chunk in response.aiter_raw():
                body += chunk
        except httpx.RemoteProtocolError:
            # a deliberate cut: only on an event stream that the fake was told to cut
            assert response.headers.get("content-type", "").startswith("text/event-stream")
            body += b"<cut>"
        finally:
            await response.aclose()
        return response.status_code, dict(response.headers), body


def _check(
    target: Target, request: dict[str, Any], status: int, headers: dict[str, str], body: bytes
) -> None:
    assert b"Traceback" not in body and b'File "' not in body, body[:2000]
    if status < 400:
        check_success(target, request, status, headers, body)
        return
    if request["method"] == "HEAD":
        return
    sent = json_or_none(request["body"]) if request["body"] else None
    fault = request["headers"].get("x-fake-fault")
    if target.kind == "replay" and body in target.plain_500_bodies:
        return  # the recording's own error answer, repeated
    if body == PLAIN_500:
        assert status == 500
        assert target.knobs is not None and vllm_plain_500_expected(
            target.knobs, request["path"], sent, fault
        ), f"unexpected plain 500 from {target.name}: {request}"
        return
    parsed = json_or_none(body)
    if target.kind == "vllm" or (target.kind == "recorder" and target.knobs is not None):
        if request["path"].startswith("/_fake"):
            assert parsed is not None and set(parsed) == {"detail"}, body[:500]
            return
        assert target.knobs is not None
        assert vllm_error_shape(target.knobs, parsed), (status, body[:500])
        if status >= 500:
            assert fault is not None and "http_error" in fault, (request, body[:500])
    elif target.kind == "litellm":
        assert litellm_error_shape(parsed), (status, body[:500])
        if status >= 500:
            dead = "dead-upstream" in target.name
            missing = status == 500 and "missing 1 required positional argument" in body.decode()
            # the upstream vLLM's own plain 500, wrapped by LiteLLM (as the real proxy does)
            upstream = target.upstream_knobs is not None and vllm_plain_500_expected(
                target.upstream_knobs, "/v1/chat/completions", sent, None
            )
            assert dead or missing or upstream, (request, body[:500])
    else:  # replay, or the recorder's own 502 for a dead upstream
        assert openai_error_shape(parsed), (status, body[:500])
        if status >= 500:
            assert target.kind == "recorder" and status == 502, (request, body[:500])


@pytest.fixture(scope="module")
def fuzz_targets(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    return Fleet(tmp_path_factory.mktemp("fuzz"))


@st.composite
def target_requests(draw: st.DrawFn, names: list[str]) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(names))
    return name, draw(requests(ROUTES[name]))


ROUTES = {name: routes_for(name) for name in BUILDERS}


def _fuzz_one(fuzz_targets: Fleet, case: tuple[str, dict[str, Any]]) -> None:
    name, request = case
    target = fuzz_targets[name]

    async def run() -> tuple[int, dict[str, str], bytes]:
        return await asyncio.wait_for(_send(target, request), REQUEST_BOUND)

    status, headers, body = asyncio.run(run())
    FIGURES["fuzz requests (hypothesis cases)"] += 1
    _check(target, request, status, headers, body)


def _ok(name: str, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    request = {
        "method": "POST" if body is not None else "GET",
        "path": path,
        "query": "",
        "headers": {"content-type": "application/json", **headers},
        "body": _dumps(body) if body is not None else b"",
    }
    return example(case=(name, request))


def _recorded_ok() -> Any:
    item = next(i for i in load(REFERENCE_CASSETTE).interactions if i.status == 200)
    request = {"method": item.method, "path": item.path, "query": item.query}
    return example(case=("replay", {**request, "headers": {}, "body": item.request_body}))


CHAT_BODY = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
STREAMED = {**CHAT_BODY, "stream": True}
VLLM_KEY = {"authorization": "Bearer sk-fuzz-key-000000"}
LITELLM_KEY = {"authorization": "Bearer sk-master-0000000"}
# well-formed requests, run first every time: every endpoint's 2xx goes through the shape check
WELL_FORMED = [
    _ok("vllm-0.9.2", "/v1/chat/completions", CHAT_BODY),
    _ok("vllm-0.9.2", "/v1/chat/completions", STREAMED),
    _ok("vllm-0.9.2", "/v1/chat/completions", STREAMED, **{"x-fake-fault": "cut; after_chunks=2"}),
    _ok(
        "vllm-0.33.0+key",
        "/v1/chat/completions",
        STREAMED,
        **VLLM_KEY,
        **{"x-fake-fault": "error_frame; after_chunks=1; message=boom"},
    ),
    _ok("vllm-0.4.3", "/v1/completions", {"model": "fake-model", "prompt": "hi", "stream": True}),
    _ok("vllm-0.9.2", "/v1/completions", {"model": "fake-model", "prompt": "hi"}),
    _ok("vllm-0.10.0", "/v1/responses", {"model": "fake-model", "input": "hi"}),
    _ok(
        "vllm-0.33.0+key",
        "/v1/responses",
        {"model": "fake-model", "input": "hi", "stream": True},
        **VLLM_KEY,
    ),
    _ok("vllm-0.9.2", "/v1/models"),
    _ok("vllm-0.4.3", "/health"),
    _ok("vllm-0.4.3", "/version"),
    _ok("vllm-0.9.2", "/metrics"),
    _ok("vllm-0.9.2", "/_fake/requests"),
    _ok("vllm-0.9.2", "/_fake/profile"),
    _ok("vllm-0.9.2", "/_fake/faults"),
    _ok("vllm-0.9.2", "/_fake/script"),
    _ok("vllm-0.9.2", "/_fake/timing"),
    _ok("vllm-0.9.2", "/v1/models/"),
    _ok("litellm-1.74.15", "/v1/chat/completions", STREAMED),
    _ok("litellm-1.74.15", "/v1/responses", {"model": "fake-model", "input": "hi"}),
    _ok("litellm-1.110.2+key", "/chat/completions", CHAT_BODY, **LITELLM_KEY),
    _ok("litellm-1.110.2+key", "/v1/responses", {**STREAMED, "input": "hi"}, **LITELLM_KEY),
    _ok("litellm-1.110.2+key", "/models", **LITELLM_KEY),
    _ok("litellm-1.110.2+key", "/health/liveliness"),
    _ok("litellm-1.74.15", "/health/readiness"),
    _ok("recorder+fake-vllm", "/v1/chat/completions", STREAMED),
    _recorded_ok(),
]


def _well_formed(test: Any) -> Any:
    for case in reversed(WELL_FORMED):
        test = case(test)
    return test


@_well_formed
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(case=target_requests(sorted(BUILDERS)))
def test_hostile_requests_get_answers_in_the_backends_shape(
    fuzz_targets: Fleet, case: tuple[str, dict[str, Any]]
) -> None:
    _fuzz_one(fuzz_targets, case)


@pytest.mark.soak
@settings(
    max_examples=SOAK_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # a fresh random run each time; a failure prints its reproduction
)
@given(case=target_requests(sorted(BUILDERS)))
def test_soak_hostile_requests(fuzz_targets: Fleet, case: tuple[str, dict[str, Any]]) -> None:
    _fuzz_one(fuzz_targets, case)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions", b'{"id": "x", "choices": 1}'),  # not a ChatCompletion
        ("/v1/chat/completions", b"data: {}\n\n"),  # no [DONE], not a chunk (as JSON: no)
        ("/version", b'{"release": "0.9.2"}'),
        ("/v1/models", b"not json"),
    ],
)
def test_a_2xx_with_a_broken_body_fails_the_shape_check(
    fuzz_targets: Fleet, path: str, body: bytes
) -> None:
    request = {"method": "POST", "path": path, "query": "", "headers": {}, "body": b"{}"}
    with pytest.raises((AssertionError, ValueError)):
        check_success(fuzz_targets["vllm-0.9.2"], request, 200, {}, body)

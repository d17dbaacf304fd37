"""Stream re-framing per release: exact bytes (ids and times masked) against fake vLLM 0.9.2."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from fakes.http.server import live
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.model import timing
from fakes.model.timing import Timing
from fakes.profiles import with_knobs
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import WEATHER_TOOLS, chunks, stable, vllm_config
from tests.fakes.litellm.conftest import AUTH, VERSIONS

ID = '"id":"*","created":"*"'


def _chunk(model: str, choice: str) -> str:
    return f'data: {{{ID},"model":"{model}","object":"chat.completion.chunk","choices":[{choice}]}}\n\n'


STREAM_110 = (
    _chunk("fake-model", '{"index":0,"delta":{"content":"","role":"assistant"}}')
    + _chunk("fake-model", '{"index":0,"delta":{"content":"Lorem"}}')
    + _chunk("fake-model", '{"index":0,"delta":{"content":" ipsum"}}')
    + _chunk("fake-model", '{"index":0,"delta":{"content":" dolor"},"stop_reason":null}')
    + _chunk("fake-model", '{"finish_reason":"length","index":0,"delta":{},"stop_reason":null}')
)
STREAM_174 = (
    _chunk("fake-model", '{"index":0,"delta":{"content":"Lorem","role":"assistant"}}')
    + _chunk("fake-model", '{"index":0,"delta":{"content":" ipsum"}}')
    + _chunk("fake-model", '{"index":0,"delta":{"content":" dolor"}}')
)
FINISH_174 = _chunk("hosted_vllm/fake-model", '{"finish_reason":"length","index":0,"delta":{}}')
DONE = "data: [DONE]\n\n"


async def test_stream_without_include_usage_ends_without_usage_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        response = await s.chat(stream=True, max_tokens=3)
        assert stable(response.text) == STREAM_110 + DONE
        # The proxy itself always asked the upstream for usage.
        sent = s.upstream_requests()[0].json_body()
        assert sent["stream_options"] == {"include_usage": True}


async def test_stream_with_include_usage_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        response = await s.chat(stream=True, max_tokens=3, stream_options={"include_usage": True})
        usage = (
            f'data: {{{ID},"model":"fake-model","object":"chat.completion.chunk","choices":[],'
            '"usage":{"completion_tokens":3,"prompt_tokens":5,"total_tokens":8,'
            '"completion_tokens_details":{"reasoning_tokens":0,"text_tokens":3}}}\n\n'
        )
        assert stable(response.text) == STREAM_110 + usage + DONE


async def test_stream_without_include_usage_ends_without_usage_174(stack: Any) -> None:
    async with stack("1.74.15") as s:
        response = await s.chat(stream=True, max_tokens=3)
        assert stable(response.text) == STREAM_174 + FINISH_174 + DONE


async def test_stream_with_include_usage_174(stack: Any) -> None:
    async with stack("1.74.15") as s:
        response = await s.chat(stream=True, max_tokens=3, stream_options={"include_usage": True})
        empty = _chunk("hosted_vllm/fake-model", '{"index":0,"delta":{}}')
        usage = (
            f'data: {{{ID},"model":"hosted_vllm/fake-model","object":"chat.completion.chunk",'
            '"choices":[{"index":0,"delta":{}}],"usage":{"completion_tokens":3,"prompt_tokens":5,'
            '"total_tokens":8,"completion_tokens_details":{"reasoning_tokens":0}}}\n\n'
        )
        assert stable(response.text) == STREAM_174 + empty + FINISH_174 + usage + DONE


@pytest.mark.parametrize("version", VERSIONS)
async def test_stream_keeps_upstream_id_and_uses_proxy_clock(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.chat(stream=True, max_tokens=2)
        upstream = chunks(s.upstream_requests()[0].to_json()["response"])
        assert {c["id"] for c in chunks(response.text)} == {upstream[0]["id"]}


@pytest.mark.parametrize("version", VERSIONS)
async def test_tool_call_deltas_gain_type_and_empty_arguments(stack: Any, version: str) -> None:
    async with stack(version) as s:
        response = await s.chat(stream=True, tools=WEATHER_TOOLS, tool_choice="auto")
        calls = [
            c["choices"][0]["delta"]
            for c in chunks(response.text)
            if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
        ]
        first = calls[0]["tool_calls"][0]
        assert list(first) == ["id", "function", "type", "index"]
        assert first["function"] == {"arguments": "", "name": "get_weather"}
        assert all(d["tool_calls"][0]["type"] == "function" for d in calls)
        # the upstream (vLLM 0.9.2) streams its hermes parser's own first fragment
        assert calls[1]["tool_calls"][0] == {
            "function": {"arguments": '{"city": "'},
            "type": "function",
            "index": 0,
        }
        # vLLM 0.9.2 finishes on the EOS step's own chunk: the last fragment is not split from a
        # finish, so 1.74's tool_split_role has nothing to act on
        assert "role" not in calls[-1]
        args = "".join(d["tool_calls"][0]["function"]["arguments"] for d in calls)
        # not JSON: vLLM 0.9.2's hermes parser trims every closing brace it streams (the
        # reference harness recorded the same on 0.8.5-0.10.2), and LiteLLM passes it on
        assert args == '{"city": "value"\n'
        assert chunks(response.text)[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_mid_stream_error_frame_110(stack: Any) -> None:
    async with stack("1.110.2") as s:
        s.fault(kind="error_frame", after_chunks=2)
        response = await s.chat(stream=True, max_tokens=5)
        assert response.status_code == 200
        frame = (
            'data: {"error": {"message": "litellm.InternalServerError: InternalServerError: '
            'Hosted_vllmException - Injected fault", "type": "internal_server_error", '
            '"param": null, "code": "500"}}\n\n'
        )
        assert response.text.endswith(frame + DONE)
        assert [c["choices"][0]["delta"] for c in chunks(response.text)[:2]] == [
            {"content": "", "role": "assistant"},
            {"content": "Lorem"},
        ]


async def test_mid_stream_error_frame_174_has_no_done(stack: Any) -> None:
    async with stack("1.74.15") as s:
        s.fault(kind="error_frame", after_chunks=2)
        response = await s.chat(stream=True, max_tokens=5)
        frame = (
            'data: {"error": {"message": "litellm.ServiceUnavailableError: '
            "litellm.MidStreamFallbackError: litellm.APIConnectionError: APIConnectionError: "
            "OpenAIException - Injected fault. Received Model Group=fake-model\\nAvailable Model "
            'Group Fallbacks=None", "type": null, "param": null, "code": "503"}}\n\n'
        )
        assert (
            stable(response.text)
            == STREAM_174.split("data: ")[0]
            + _chunk("fake-model", '{"index":0,"delta":{"content":"Lorem","role":"assistant"}}')
            + frame
        )


@pytest.mark.parametrize(
    "live_upstream", [False, pytest.param(True, marks=pytest.mark.live)], ids=["in-process", "live"]
)
async def test_upstream_cut_surfaces_in_band_110(stack: Any, live_upstream: bool) -> None:
    async with stack("1.110.2", live_upstream=live_upstream) as s:
        s.fault(kind="cut", after_chunks=2)
        response = await s.chat(stream=True, max_tokens=5)
        error = [
            orjson.loads(e) for e in response.text.split("data: ")[1:] if e.startswith('{"error')
        ]
        assert error[0]["error"]["message"].startswith(
            "litellm.APIConnectionError: APIConnectionError: Hosted_vllmException - "
            "Response payload is not completed"
        )
        assert response.text.endswith(DONE)


@pytest.mark.parametrize(
    "live_upstream", [False, pytest.param(True, marks=pytest.mark.live)], ids=["in-process", "live"]
)
async def test_upstream_cut_is_hidden_174(stack: Any, live_upstream: bool) -> None:
    async with stack("1.74.15", live_upstream=live_upstream) as s:
        s.fault(kind="cut", after_chunks=2)
        response = await s.chat(stream=True, max_tokens=5)
        lorem = _chunk("fake-model", '{"index":0,"delta":{"content":"Lorem","role":"assistant"}}')
        invented = _chunk("hosted_vllm/fake-model", '{"finish_reason":"stop","index":0,"delta":{}}')
        assert stable(response.text) == lorem + invented + DONE
        first, last = chunks(response.text)
        assert last["id"] == first["id"]  # the stream goes on as the upstream's


async def test_upstream_cut_174_ends_with_the_estimated_usage(stack: Any) -> None:
    async with stack("1.74.15") as s:
        s.fault(kind="cut", after_chunks=3)
        response = await s.chat(stream=True, stream_options={"include_usage": True})
    *content, finish, last = chunks(response.text)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in content) == "Lorem ipsum"
    assert finish["choices"] == [{"finish_reason": "stop", "index": 0, "delta": {}}]
    assert last["usage"]["completion_tokens"] == 2  # "Lorem ipsum" by litellm's counter
    assert last["usage"]["prompt_tokens"] == 8  # one user message "hi"


def _no_usage_upstream() -> Starlette:
    """An OpenAI-compatible upstream that ignores include_usage."""

    async def chat(request: Request) -> StreamingResponse:
        async def events() -> Any:
            for piece, finish in (("Hello", None), (" world", "stop")):
                chunk = {
                    "id": "chatcmpl-up",
                    "object": "chat.completion.chunk",
                    "created": 1,
                    "model": "fake-model",
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": finish}],
                }
                yield b"data: " + orjson.dumps(chunk) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.mark.parametrize("version", VERSIONS)
async def test_usage_is_estimated_when_upstream_sends_none(stack: Any, version: str) -> None:
    async with stack(version, upstream=_no_usage_upstream()) as s:
        response = await s.chat(stream=True, stream_options={"include_usage": True})
        usage = chunks(response.text)[-1]["usage"]
        # litellm's own counter, as both real proxies answered: "hi" is 8 prompt tokens
        # (3 a message + "user" + "hi" + 3 for the reply primer), "Hello world" 2
        assert usage["completion_tokens"] == 2 and usage["prompt_tokens"] == 8
        assert usage["total_tokens"] == 10


@pytest.mark.parametrize("version", VERSIONS)
async def test_usage_chunk_absent_without_include_usage_even_when_estimated(
    stack: Any, version: str
) -> None:
    async with stack(version, upstream=_no_usage_upstream()) as s:
        response = await s.chat(stream=True)
        assert all("usage" not in c for c in chunks(response.text))


@pytest.mark.live
async def test_chunks_pass_through_as_they_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    """No buffering: the client reads the first chunk while the upstream still holds the rest
    (its token sleeps wait until the client has a chunk: a buffering proxy never gets one)."""
    seen = threading.Event()

    async def held_until_seen(seconds: float) -> None:
        if seconds > 0:
            assert await asyncio.to_thread(seen.wait, 10), "no chunk reached the client"

    monkeypatch.setattr(timing, "sleep", held_until_seen)
    vllm = create_vllm_app(vllm_config("0.9.2", timing=Timing(itl=0.08)))
    with live(vllm) as upstream:
        profile, release = resolve_litellm_profile("1.110.2", None)
        deployment = Deployment("fake-model", "hosted_vllm", "fake-model", f"{upstream.url}/v1")
        proxy = create_litellm_app(LitellmConfig(profile, release, (deployment,)))
        with live(proxy) as server:
            body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
            async with httpx.AsyncClient(timeout=10) as client:
                lines = []
                async with client.stream(
                    "POST",
                    f"{server.url}/v1/chat/completions",
                    json={**body, "stream": True, "max_tokens": 6},
                ) as response:
                    async for line in response.aiter_lines():
                        if line:
                            lines.append(line)
                            seen.set()
    assert lines[-1] == "data: [DONE]" and len(lines) >= 6, lines


@pytest.mark.live
async def test_forwarded_responses_stream_cut_is_response_failed_110(stack: Any) -> None:
    # 0.10.1.x is the release whose /v1/responses stream is a 200 then a cut (non-harmony)
    async with stack("1.110.2", "0.10.1.1", live_upstream=True) as s:
        body = {"model": "fake-model", "input": "hi", "stream": True}
        response = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert response.text.startswith("event: response.failed\ndata: ")
        failed = orjson.loads(response.text.split("data: ", 1)[1])
        assert failed["response"]["status"] == "failed"
        assert failed["response"]["error"]["code"] == "server_error"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_natural_end_is_one_finish_chunk(stack: Any, version: str) -> None:
    """vLLM ends an EOS stop with {"content": ""} and finish_reason "stop"; both real proxies
    (1.74.15.post2, 1.110.2, in front of fake vLLM 0.9.2) send one chunk with an empty delta."""
    async with stack(version) as s:
        upstream_text = (await s.chat()).json()["choices"][0]["message"]["content"]
        response = await s.chat(stream=True)
    events = chunks(response.text)
    choices = [event["choices"][0] for event in events]
    assert choices[-1]["finish_reason"] == "stop" and choices[-1]["delta"] == {}
    assert all(c["delta"] != {"content": ""} for c in choices)
    assert "".join(c["delta"].get("content", "") for c in choices) == upstream_text


@pytest.mark.parametrize("holds", [False, True])
async def test_holds_one_chunk_forwards_a_chunk_only_once_the_next_arrives(
    monkeypatch: pytest.MonkeyPatch, holds: bool
) -> None:
    """Neither real proxy holds a chunk back (both profiles say false); a profile that sets
    ``holds_one_chunk`` forwards each chunk only when the next one arrives. Seen by scheduling,
    not time: before each later token the upstream lets every ready task run (no real time
    passes), then notes how many chunks the client has read."""
    received: list[str] = []
    read_before_token: list[int] = []

    async def next_token(seconds: float) -> None:
        for _ in range(200):  # bounded: every task that can run, runs
            await asyncio.sleep(0)
        read_before_token.append(len(received))

    monkeypatch.setattr(timing, "sleep", next_token)
    vllm = create_vllm_app(vllm_config("0.9.2", timing=Timing(itl=0.01)))
    profile, release = resolve_litellm_profile("1.110.2", None)
    assert profile.knobs.holds_one_chunk is False
    deployment = Deployment("fake-model", "hosted_vllm", "fake-model", "http://upstream.fake/v1")
    config = LitellmConfig(with_knobs(profile, {"holds_one_chunk": holds}), release, (deployment,))
    proxy = create_litellm_app(config, transport=StreamingASGITransport(vllm))
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    async with (
        httpx.AsyncClient(transport=StreamingASGITransport(proxy), base_url="http://p") as client,
        client.stream(
            "POST", "/v1/chat/completions", json={**body, "stream": True, "max_tokens": 4}
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                received.append(line)
    assert len(read_before_token) >= 3, read_before_token
    # forwarded at once, the client has read every chunk sent so far (the role chunk, then one
    # a token) before the next token; held, the latest one is still in the proxy
    sent = range(len(read_before_token))
    assert read_before_token == [max(n - 1, 0) if holds else n for n in sent]


async def test_chunk_fast_serializer_writes_simple_chunks_in_its_own_order(stack: Any) -> None:
    """1.90 (chunk_fast_serializer): text chunks as id, object, created, model, choices, the
    choice as index, delta (role first), finish_reason, vLLM's stop_reason gone."""
    async with stack("1.90.7") as s:
        response = await s.chat(stream=True, max_tokens=3)
    head = '{"id":"*","object":"chat.completion.chunk","created":"*","model":"fake-model"'
    expected = "".join(
        f'data: {head},"choices":[{choice}]}}\n\n'
        for choice in (
            '{"index":0,"delta":{"role":"assistant","content":""}}',
            '{"index":0,"delta":{"content":"Lorem"}}',
            '{"index":0,"delta":{"content":" ipsum"}}',
            '{"index":0,"delta":{"content":" dolor"}}',
            '{"index":0,"delta":{},"finish_reason":"length"}',
        )
    )
    assert stable(response.text) == expected + DONE


@pytest.mark.parametrize("include_usage", [False, True])
async def test_mid_stream_error_read_as_chunk_ends_with_a_stop_190(
    stack: Any, include_usage: bool
) -> None:
    """1.90 (mid_stream_error read_as_chunk): the error frame is no error to the client; a
    fresh id from there on, choices [] with include_usage, then a "stop" of its own."""
    async with stack("1.90.7") as s:
        s.fault(kind="error_frame", after_chunks=2)
        options = {"stream_options": {"include_usage": True}} if include_usage else {}
        response = await s.chat(stream=True, max_tokens=5, **options)
    assert response.status_code == 200 and "error" not in response.text
    sent = chunks(response.text)
    assert [c["choices"][0]["delta"] for c in sent[:2]] == [
        {"role": "assistant", "content": ""},
        {"content": "Lorem"},
    ]
    after = sent[2:]
    assert [c["choices"] for c in after[: 1 if include_usage else 0]] == (
        [[]] if include_usage else []
    )
    finish = after[1 if include_usage else 0]
    assert finish["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert finish["id"] != sent[0]["id"]
    assert ("usage" in after[-1]) is include_usage
    assert response.text.endswith(DONE)


@pytest.mark.parametrize(("version", "fingerprint"), [("1.90.7", False), ("1.110.2", True)])
async def test_the_upstream_fingerprint_reaches_the_chunks_by_release(
    stack: Any, version: str, fingerprint: bool
) -> None:
    # knob chunk_fingerprint: 1.90's chunk parser does not read it
    async with stack(version, "0.34.0") as s:
        response = await s.chat(stream=True, stream_options={"include_usage": True})
    events = chunks(response.text)
    assert events[-1]["usage"]["completion_tokens"] > 0
    assert any("system_fingerprint" in e for e in events) is fingerprint
    if not fingerprint:  # each simple chunk then goes through the fast serializer
        assert list(events[-2]) == ["id", "object", "created", "model", "choices"]


def _null_choices_upstream() -> Starlette:
    """An upstream whose second chunk has "choices": null (a content-filter chunk)."""

    async def chat(request: Request) -> StreamingResponse:
        async def events() -> Any:
            base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1}
            text = [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]
            stop = [{"index": 0, "delta": {}, "finish_reason": "stop"}]
            for choices in (text, None, stop):
                chunk = {**base, "model": "fake-model", "choices": choices}
                yield b"data: " + orjson.dumps(chunk) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


async def test_190_null_choices_end_the_stream_with_an_untyped_error_frame(stack: Any) -> None:
    # knob null_choices_error
    async with stack("1.90.7", upstream=_null_choices_upstream()) as s:
        response = await s.chat(stream=True)
    *content, frame = response.text.split("\n\n")[:-1]
    assert [chunk["choices"][0]["delta"] for chunk in chunks("\n\n".join(content))] == [
        {"content": "Hi"}
    ]
    error = orjson.loads(frame.removeprefix("data: "))["error"]
    assert error["message"].startswith(
        "litellm.MidStreamFallbackError: litellm.APIConnectionError: APIConnectionError: "
        "Hosted_vllmException - 'NoneType' object is not iterable. Received Model Group="
    )
    assert (error["type"], error["param"], error["code"]) == (None, None, "500")
    assert "[DONE]" not in response.text


async def test_110_passes_null_choices_over(stack: Any) -> None:
    async with stack("1.110.2", upstream=_null_choices_upstream()) as s:
        response = await s.chat(stream=True)
    assert "error" not in response.text and response.text.endswith("data: [DONE]\n\n")


async def test_190_tool_stream_usage_has_no_completion_details(stack: Any) -> None:
    # knob usage_details_without_reasoning
    async with stack("1.90.7") as s:
        response = await s.chat(
            stream=True,
            stream_options={"include_usage": True},
            tools=WEATHER_TOOLS,
            tool_choice="required",
        )
    usage = chunks(response.text)[-1]["usage"]
    assert usage["completion_tokens"] > 0 and "completion_tokens_details" not in usage


def _filter_first_upstream() -> Starlette:
    """An upstream whose first chunk is a content-filter one: choices [], no usage."""

    async def chat(request: Request) -> StreamingResponse:
        async def events() -> Any:
            base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1}
            text = [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]
            for extra in ({"choices": [], "prompt_filter_results": []}, {"choices": text}):
                yield b"data: " + orjson.dumps({**base, "model": "fake-model", **extra}) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.mark.parametrize(
    ("version", "choices"), [("1.90.7", []), ("1.74.15", [{"index": 0, "delta": {}}])]
)
async def test_the_filter_chunk_passes_on_by_release(
    stack: Any, version: str, choices: list[Any]
) -> None:
    # knob filter_chunk
    async with stack(version, upstream=_filter_first_upstream()) as s:
        response = await s.chat(stream=True, stream_options={"include_usage": True})
    first = chunks(response.text)[0]
    assert first["choices"] == choices and "usage" not in first

"""A deployment's ``timeout`` and ``stream_timeout`` in front of an upstream that never
answers (recordings/litellm/router-timeouts-litellm-*.json hold the fake to the real proxies
in front of slow replicas): the 408 and its words per release, whether it cools the
deployment down, and 1.74's stream that times out inside the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakes.http.eventstream import EventStreamResponse
from fakes.http.server import live
from fakes.litellm import create_litellm_app, parse_config, resolve_litellm_profile
from fakes.litellm._config import Deployment
from fakes.litellm._stream import error_status
from tests.fakes.litellm.conftest import AUTH, KEY

# seconds: the upstream below never answers, so every attempt times out; long enough that a
# stream's headers (sent at once) come first on a busy machine (1.74 times out in the stream)
LIMIT = 0.25


def _silent(release: asyncio.Event) -> tuple[Starlette, list[str]]:
    """An upstream that takes every chat request and answers none until ``release``: a stream
    gets its headers at once (as vLLM's do) and no chunk."""
    seen: list[str] = []

    async def chat(request: Request) -> Response:
        seen.append(request.url.path)
        if (await request.json()).get("stream"):

            async def nothing() -> AsyncIterator[bytes]:
                await release.wait()
                yield b""

            return StreamingResponse(nothing(), media_type="text/event-stream")
        await release.wait()
        return Response()

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])]), seen


@asynccontextmanager
async def _proxy(
    version: str, params: str, knobs: dict[str, Any] | None = None
) -> AsyncIterator[Any]:
    release = asyncio.Event()
    upstream, seen = _silent(release)
    with live(upstream) as server:
        text = (
            "model_list:\n  - model_name: slow\n    model_info: {id: t1}\n    litellm_params: "
            f'{{model: hosted_vllm/m, api_base: "{server.url}/v1", {params}}}\n'
            "router_settings: {num_retries: 1, allowed_fails: 1, cooldown_time: 60}\n"
            f"general_settings: {{master_key: {KEY}}}\n"
        )
        profile, release_name = resolve_litellm_profile(version, None)
        app = create_litellm_app(parse_config(text, "c.yaml", profile, release_name, {}))
        if knobs:
            app.state.fake.set_knobs(knobs)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
                yield client, seen
        finally:  # the handlers end, so the upstream stops at once
            assert server.loop is not None
            server.loop.call_soon_threadsafe(release.set)


async def _chat(client: httpx.AsyncClient, **extra: Any) -> httpx.Response:
    body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}], **extra}
    return await client.post("/v1/chat/completions", json=body, headers=AUTH)


async def test_110_a_timeout_is_a_408_retried_and_not_held_against_the_deployment() -> None:
    async with _proxy("1.110.2", f"timeout: {LIMIT}") as (client, seen):
        for expected in (2, 4):  # timeouts_cool_down false: no cooldown, both tries again
            response = await _chat(client)
            assert response.status_code == 408 and len(seen) == expected
    error = response.json()["error"]
    assert error["message"].startswith(
        "litellm.Timeout: Timeout Error: Hosted_vllmException - litellm.Timeout: Read timed "
        f"out. Timeout passed={LIMIT}, time taken="
    )
    assert f"\n\nDeployment Info: request_timeout: None\ntimeout: {LIMIT}\n" in error["message"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "408")
    assert response.headers["x-litellm-timeout"] == str(LIMIT)


async def test_174_a_timeout_counts_toward_the_cooldown() -> None:
    async with _proxy("1.74.15", f"timeout: {LIMIT}") as (client, seen):
        first = await _chat(client)
        assert first.status_code == 408 and len(seen) == 2
        second = await _chat(client)  # timeouts_cool_down: cooled at its first failure
        assert second.status_code == 408 and len(seen) == 3
    message = second.json()["error"]["message"]
    assert message.startswith(
        "litellm.Timeout: APITimeoutError - Request timed out. Error_str: Request timed out. "
        f"- timeout value={LIMIT}, time taken="
    )
    assert f"seconds\n\nDeployment Info: request_timeout: None\ntimeout: {LIMIT}." in message


async def test_110_a_stream_waits_stream_timeout_for_its_first_chunk() -> None:
    async with _proxy("1.110.2", f"stream_timeout: {LIMIT}") as (client, seen):
        response = await _chat(client, stream=True)
    assert response.status_code == 408 and len(seen) == 2
    assert response.headers["content-type"] == "application/json"
    assert "Error_str: Timeout on reading data from socket" in response.json()["error"]["message"]


async def test_174_a_stream_times_out_inside_the_stream_with_its_status() -> None:
    async with _proxy("1.74.15", f"stream_timeout: {LIMIT}") as (client, seen):
        response = await _chat(client, stream=True)
    assert response.status_code == 503 and len(seen) == 1  # not retried
    assert response.headers["content-type"].startswith("text/event-stream")
    frame = orjson.loads(response.text.removeprefix("data: "))
    assert frame["error"]["message"].startswith(
        "litellm.ServiceUnavailableError: litellm.MidStreamFallbackError: litellm.Timeout: "
    )
    assert frame["error"]["code"] == "503" and "[DONE]" not in response.text


def test_a_stream_waits_stream_timeout_else_timeout() -> None:
    deployment = Deployment("g", "hosted_vllm", "m", timeout=5.0, stream_timeout=1.0)
    assert (deployment.timeout_for(False), deployment.timeout_for(True)) == (5.0, 1.0)
    assert Deployment("g", "hosted_vllm", "m", timeout=5.0).timeout_for(True) == 5.0
    assert Deployment("g", "hosted_vllm", "m", stream_timeout=1.0).timeout_for(False) is None


async def test_the_knobs_alone_make_1_110_time_out_like_1_74() -> None:
    knobs = {
        "timeout_wording": "openai_client",
        "timeouts_cool_down": True,
        "stream_timeout_in_stream": True,
        "first_chunk_error_status": True,
        "timeout_stream_headers": ["x-litellm-call-id"],
    }
    async with _proxy("1.110.2", f"timeout: {LIMIT}", knobs) as (client, seen):
        first = await _chat(client)
        second = await _chat(client)
        assert len(seen) == 2 and second.status_code == 429  # both tries counted: cooled
        assert "Error_str: Request timed out. - timeout value=" in first.json()["error"]["message"]
    async with _proxy("1.110.2", f"stream_timeout: {LIMIT}", knobs) as (client, seen):
        stream = await _chat(client, stream=True)
    assert stream.status_code == 503 and len(seen) == 1


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (b'data: {"error": {"message": "x", "code": "503"}}\n\n', 503),
        (b'data: {"error": {"message": "x", "code": 429}}\n\n', 429),
        (b'data: {"error": {"message": "x"}}\n\n', None),
        (b'data: {"id": "chatcmpl-1", "choices": []}\n\n', None),
        (b"data: [DONE]\n\n", None),
        (b": keep-alive\n\n", None),
    ],
)
def test_the_status_of_a_first_error_frame(event: bytes, status: int | None) -> None:
    assert error_status(event) == status


async def test_an_event_stream_takes_its_status_from_the_first_event() -> None:
    async def events() -> AsyncIterator[bytes]:
        yield b'data: {"error": {"message": "x", "code": "503"}}\n\n'
        yield b"data: after\n\n"

    app = EventStreamResponse(events(), status_of_first=error_status)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
        response = await client.get("/")
    assert response.status_code == 503
    assert response.text.endswith("data: after\n\n")

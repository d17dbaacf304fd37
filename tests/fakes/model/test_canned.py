from __future__ import annotations

import httpx

from fakes.model.canned import (
    CannedMiddleware,
    CannedRoute,
    json_response,
    sse_response,
    text_response,
)
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config


def _client(*routes: CannedRoute) -> httpx.AsyncClient:
    app = CannedMiddleware(create_vllm_app(vllm_config("0.9.2")), routes)
    return httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://fake")


async def test_canned_bytes_go_out_piece_by_piece_and_others_reach_the_fake() -> None:
    route = CannedRoute(
        path="/v1/chat/completions", responses=(sse_response(["data: a\r\n\r\n", "data: b\n\n"]),)
    )
    async with _client(route) as client:
        async with client.stream("POST", "/v1/chat/completions", json=CHAT) as response:
            assert [c async for c in response.aiter_raw()] == [b"data: a\r\n\r\n", b"data: b\n\n"]
        assert (await client.get("/v1/models")).json()["data"][0]["owned_by"] == "vllm"


async def test_responses_play_in_order_and_the_last_repeats() -> None:
    route = CannedRoute(
        path="/v1/chat/completions",
        responses=(text_response(502, "Bad Gateway"), json_response(200, {"ok": 1})),
    )
    async with _client(route) as client:
        statuses = [
            (await client.post("/v1/chat/completions", json=CHAT)).status_code for _ in range(3)
        ]
    assert statuses == [502, 200, 200]


async def test_body_contains_narrows_the_match() -> None:
    route = CannedRoute(
        path="/v1/chat/completions",
        body_contains="stream_options",
        responses=(json_response(422, {"x": 1}),),
    )
    async with _client(route) as client:
        plain = await client.post("/v1/chat/completions", json=CHAT)
        options = await client.post(
            "/v1/chat/completions",
            json={**CHAT, "stream": True, "stream_options": {"include_usage": True}},
        )
    assert (plain.status_code, options.status_code) == (200, 422)

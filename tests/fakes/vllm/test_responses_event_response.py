"""``responses_event_response``: 0.10.2-0.11.0 wrap their stream envelopes in openai's
``Response``, which refuses vLLM's usage, so the stream is cut after output_item.done (recorded
on 0.10.2's own app); with the release's own body the stream reaches response.completed."""

from __future__ import annotations

import httpx
import pytest

from fakes.profiles import ResponsesEventResponse, resolve_vllm_profile, with_knobs
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import VllmConfig, create_vllm_app

REQUEST = {"model": "fake-model", "input": "hi", "stream": True}


async def _stream(style: ResponsesEventResponse) -> tuple[list[str], bool]:
    profile, release = resolve_vllm_profile("0.10.2", None)
    assert profile.knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE
    config = VllmConfig(
        profile=with_knobs(profile, {"responses_event_response": style.value}), version=release
    )
    transport = StreamingASGITransport(create_vllm_app(config))
    body, complete = b"", True
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://fake") as client,
        client.stream("POST", "/v1/responses", json=REQUEST) as response,
    ):
        assert response.status_code == 200
        try:
            async for chunk in response.aiter_raw():
                body += chunk
        except httpx.RemoteProtocolError:
            complete = False
    events = [
        line[len("event: ") :] for line in body.decode().splitlines() if line.startswith("event: ")
    ]
    return events, complete


@pytest.mark.parametrize("style", list(ResponsesEventResponse))
async def test_responses_event_response_decides_whether_the_stream_completes(
    style: ResponsesEventResponse,
) -> None:
    events, complete = await _stream(style)
    if style is ResponsesEventResponse.OPENAI_RESPONSE:
        assert not complete
        assert events[-1] == "response.output_item.done"
        assert "response.completed" not in events
    else:
        assert complete
        assert events[-1] == "response.completed"
    assert events[0] == "response.created"

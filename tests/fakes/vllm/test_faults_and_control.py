"""Faults (header, nth, seeded probability, mid-stream), timing, metrics and /_fake/."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakes.http.server import live
from fakes.model import timing
from fakes.model.faults import Fault, FaultKind, FaultRule
from fakes.model.timing import Lateness, Timing
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, chunks, events, vllm_config

STREAM = {**CHAT, "stream": True}


@pytest.mark.parametrize(
    ("version", "frame"),
    [
        (
            "0.9.2",
            '{"error": {"object": "error", "message": "boom", "type": "InternalServerError", '
            '"param": null, "code": 500}}',
        ),
        (
            "0.12.0",
            '{"error": {"message": "boom", "type": "InternalServerError", "param": null, '
            '"code": 500}}',
        ),
        # stream_error_style compact: 0.33 yields the ErrorResponse, model_dump_json()
        (
            "0.33.0",
            '{"error":{"message":"boom","type":"InternalServerError","param":null,"code":500}}',
        ),
    ],
)
async def test_error_frame_after_n_chunks_then_done(vllm: Any, version: str, frame: str) -> None:
    async with vllm(version) as client:
        response = await client.post(
            "/v1/chat/completions",
            json=STREAM,
            headers={"x-fake-fault": "error_frame; after_chunks=2; message=boom"},
        )
    assert response.status_code == 200
    got = events(response.text)
    assert len(got) == 4 and got[2:] == [frame, "[DONE]"]  # the frame, then [DONE]


async def test_http_error_fault_uses_the_backend_shape(vllm: Any) -> None:
    async with vllm("0.12.0") as client:
        response = await client.post(
            "/v1/chat/completions", json=CHAT, headers={"x-fake-fault": "http_error; status=503"}
        )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == 503


async def test_bad_fault_header_is_a_400_naming_the_choices(vllm: Any) -> None:
    async with vllm("0.12.0") as client:
        response = await client.post(
            "/v1/chat/completions", json=CHAT, headers={"x-fake-fault": "explode"}
        )
    assert response.status_code == 400
    assert (
        "kinds: http_error, error_frame, cut, stall, delay" in response.json()["error"]["message"]
    )


async def test_nth_request_fault_fires_once(vllm: Any) -> None:
    rule = FaultRule(fault=Fault(kind=FaultKind.HTTP_ERROR, status=429), nth=2)
    async with vllm("0.9.2", faults=(rule,)) as client:
        statuses = [
            (await client.post("/v1/chat/completions", json=CHAT)).status_code for _ in range(4)
        ]
    assert statuses == [200, 429, 200, 200]


async def test_probability_faults_are_seeded(vllm: Any) -> None:
    rule = FaultRule(fault=Fault(kind=FaultKind.HTTP_ERROR), probability=0.5, seed=7)
    runs = []
    for _ in range(2):
        async with vllm("0.9.2", faults=(rule,)) as client:
            runs.append(
                [
                    (await client.post("/v1/chat/completions", json=CHAT)).status_code
                    for _ in range(12)
                ]
            )
    assert runs[0] == runs[1] and 500 in runs[0] and 200 in runs[0]


def test_cut_drops_the_connection_without_done() -> None:
    app = create_vllm_app(vllm_config("0.9.2"))
    with live(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            with client.stream(
                "POST",
                "/v1/chat/completions",
                json=STREAM,
                headers={"x-fake-fault": "cut; after_chunks=2"},
            ) as response:
                body = b"".join(response.iter_raw())
                assert b"[DONE]" not in body


def test_stall_is_visible_to_a_client_timeout() -> None:
    app = create_vllm_app(vllm_config("0.9.2"))
    with live(app) as server, httpx.Client(base_url=server.url, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            with client.stream(
                "POST",
                "/v1/chat/completions",
                json=STREAM,
                headers={"x-fake-fault": "stall; after_chunks=1; seconds=5"},
            ) as response:
                for _ in response.iter_raw():
                    pass


class _TokenClock:
    """Stands in for the fakes' token sleeps (``fakes.model.timing``): no real time passes; each
    sleep logs the moment it would wake (``("wake", t)``, on a clock that a sleep moves on)
    and, when ``gate`` is set, first waits for it. The app's sent body chunks go to the
    same log (``("chunk", bytes)``), so the log is the stream's schedule."""

    def __init__(self) -> None:
        self.slept = 0.0
        self.log: list[tuple[str, Any]] = []
        self.gate: asyncio.Event | None = None

    def monotonic(self) -> float:
        return time.monotonic() + self.slept

    async def sleep(self, seconds: float) -> None:
        self.log.append(("wake", self.monotonic() + seconds))
        if self.gate is not None:
            await self.gate.wait()
        self.slept += seconds

    def recording(self, app: ASGIApp) -> ASGIApp:
        async def recorded(scope: Scope, receive: Receive, send: Send) -> None:
            async def logged(message: Message) -> None:
                if message["type"] == "http.response.body" and message.get("body"):
                    self.log.append(("chunk", message["body"]))
                await send(message)

            await app(scope, receive, logged)

        return recorded


@pytest.fixture
def token_clock(monkeypatch: pytest.MonkeyPatch) -> _TokenClock:
    clock = _TokenClock()
    monkeypatch.setattr(timing, "monotonic", clock.monotonic)
    monkeypatch.setattr(timing, "sleep", clock.sleep)
    return clock


async def _metrics_until(client: httpx.AsyncClient, *wanted: str) -> str:
    """/metrics once it shows every line in ``wanted``: a bounded number of reads, each after
    one pass of the event loop (``sleep(0)``: no time passes) for the requests to run on."""
    for _ in range(200):
        await asyncio.sleep(0)
        text = (await client.get("/metrics")).text
        if all(line in text for line in wanted):
            return text
    raise AssertionError(f"/metrics never showed {wanted}:\n{text}")


async def test_max_num_seqs_queues_and_metrics_show_it(vllm: Any, token_clock: _TokenClock) -> None:
    running = 'vllm:num_requests_running{model_name="fake-model"} 1.0'
    waiting = 'vllm:num_requests_waiting{model_name="fake-model"} 1.0'
    token_clock.gate = asyncio.Event()  # the first request holds its slot until released
    async with vllm("0.9.2", max_num_seqs=1, timing=Timing(ttft=0.2)) as client:
        first = asyncio.create_task(client.post("/v1/chat/completions", json=CHAT))
        second = asyncio.create_task(client.post("/v1/chat/completions", json=CHAT))
        await _metrics_until(client, running, waiting)
        # only the request with the slot has reached its first token
        assert [kind for kind, _ in token_clock.log] == ["wake"]
        token_clock.gate.set()
        answers = await asyncio.gather(first, second)
        after = (await client.get("/metrics")).text
    assert [a.status_code for a in answers] == [200, 200]
    assert 'vllm:num_requests_running{model_name="fake-model"} 0.0' in after
    assert 'vllm:num_requests_waiting{model_name="fake-model"} 0.0' in after
    assert 'vllm:request_success_total{finished_reason="stop",model_name="fake-model"} 2.0' in after
    assert "vllm:time_to_first_token_seconds_bucket" in after


async def test_ttft_and_itl_shape_the_stream(token_clock: _TokenClock) -> None:
    app = create_vllm_app(vllm_config("0.9.2", timing=Timing(ttft=0.05, itl=0.02)))
    transport = httpx.ASGITransport(app=token_clock.recording(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        sent = time.monotonic()
        response = await client.post("/v1/chat/completions", json={**STREAM, "max_tokens": 3})
        answered = time.monotonic()
    log = token_clock.log
    kinds = [kind for kind, _ in log]
    # the role chunk after the TTFT, each of the 3 tokens (the finish rides on the last) one
    # ITL later, then [DONE] at once
    assert kinds == ["wake", "chunk"] * 4 + ["chunk"], log
    assert b"".join(data for kind, data in log if kind == "chunk") == response.content
    assert log[-1][1] == b"data: [DONE]\n\n"
    wakes = [t for kind, t in log if kind == "wake"]
    # the TTFT counts from the request's arrival, somewhere between sending and the answer
    assert sent + 0.05 - Lateness.TICK <= wakes[0] <= answered + 0.05
    # each further token one ITL after the previous one's deadline (sleeps aim up to one
    # timer tick early: fakes.model.timing.Lateness)
    gaps = [later - earlier for earlier, later in itertools.pairwise(wakes)]
    assert gaps == pytest.approx([0.02] * 3, abs=Lateness.TICK)


class TestControlPlane:
    async def test_request_log_keeps_bodies_and_redacts_keys(self, vllm: Any) -> None:
        async with vllm("0.9.2") as client:
            await client.post(
                "/v1/chat/completions", json=STREAM, headers={"authorization": "Bearer sk-secret"}
            )
            log = (await client.get("/_fake/requests")).json()["requests"]
        assert len(log) == 1
        entry = log[0]
        assert entry["json"] == STREAM and entry["status"] == 200 and entry["streamed"]
        assert entry["headers"]["authorization"] == "Bearer [redacted]"
        assert entry["events"][-1]["data"] == "data: [DONE]\n\n"

    async def test_script_faults_profile_and_reset(self, vllm: Any) -> None:
        async with vllm("0.9.2") as client:
            put = await client.put(
                "/_fake/script",
                json={"rules": [{"match": {"contains": "weather"}, "reply": {"text": "Sunny"}}]},
            )
            assert put.status_code == 200
            body = {**CHAT, "messages": [{"role": "user", "content": "weather?"}]}
            answer = (await client.post("/v1/chat/completions", json=body)).json()
            assert answer["choices"][0]["message"]["content"] == "Sunny"

            await client.put(
                "/_fake/faults", json=[{"fault": {"kind": "http_error", "status": 502}}]
            )
            assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 502

            patch = await client.patch("/_fake/profile", json={"error_shape": "nested"})
            assert patch.json()["overrides"] == {"error_shape": "nested"}
            nested = await client.post("/v1/chat/completions", json=CHAT)
            assert set(nested.json()) == {"error"}

            await client.post("/_fake/reset")
            assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200
            assert len((await client.get("/_fake/requests")).json()["requests"]) == 1

    async def test_bad_control_input_names_the_problem(self, vllm: Any) -> None:
        async with vllm("0.9.2") as client:
            bad_knob = await client.patch("/_fake/profile", json={"colour": "red"})
            bad_script = await client.put("/_fake/script", json={"rules": [{"reply": 3}]})
        assert bad_knob.status_code == 400 and "unknown knobs ['colour']" in bad_knob.text
        assert bad_script.status_code == 400 and "rules.0.reply" in bad_script.text


async def test_responses_route_by_release(vllm: Any) -> None:
    body = {"model": "fake-model", "input": "hi"}
    async with vllm("0.9.2") as client:
        assert (await client.post("/v1/responses", json=body)).json() == {"detail": "Not Found"}
    async with vllm("0.10.0") as client:
        ok = await client.post("/v1/responses", json=body)
        streamed = await client.post("/v1/responses", json={**body, "stream": True})
    assert ok.status_code == 200 and ok.json()["object"] == "response"
    assert ok.json()["id"].startswith("resp_")
    assert (streamed.status_code, streamed.text) == (500, "Internal Server Error")


async def test_models_health_version(vllm: Any) -> None:
    async with vllm("0.4.3") as client:
        card = (await client.get("/v1/models")).json()["data"][0]
        health = await client.get("/health")
        version = (await client.get("/version")).json()
    assert "max_model_len" not in card and card["owned_by"] == "vllm"
    assert card["permission"][0]["object"] == "model_permission"
    assert (health.status_code, health.content) == (200, b"")
    assert version == {"version": "0.4.3"}


async def test_completions_stream_0_4_has_no_object_key(vllm: Any) -> None:
    async with vllm("0.4.3") as client:
        response = await client.post(
            "/v1/completions",
            json={"model": "fake-model", "prompt": "Say", "stream": True, "max_tokens": 2},
        )
    got = chunks(response.text)
    assert all("object" not in c and "usage" in c for c in got)
    assert got[-1]["usage"] == {"prompt_tokens": 1, "total_tokens": 3, "completion_tokens": 2}


async def test_completions_error_frames_stay_spaced_when_chat_goes_compact(vllm: Any) -> None:
    # 0.33.0 completion/serving.py:552-557 still writes create_streaming_error_response
    # (json.dumps); only the chat stream yields the ErrorResponse (stream_error_style)
    body = {"model": "fake-model", "prompt": "hi", "max_tokens": 8, "stream": True}
    async with vllm("0.33.0") as client:
        response = await client.post(
            "/v1/completions",
            json=body,
            headers={"x-fake-fault": "error_frame; after_chunks=1; message=boom"},
        )
    frame = events(response.text)[1]
    assert frame == (
        '{"error": {"message": "boom", "type": "InternalServerError", "param": null, "code": 500}}'
    )

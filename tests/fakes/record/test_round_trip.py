"""Record through the proxy over real sockets, replay, and get the same bytes back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from fakes.http.server import live
from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.model.timing import Lateness, Timing
from fakes.record import Recorder, Replayer, load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, WEATHER_TOOLS, vllm_config
from tests.fakes.record.conftest import ReplayClock

pytestmark = pytest.mark.live

SCRIPT = Script(
    rules=(
        Rule(
            match={"contains": "weather"},
            reply=Reply(
                tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Paris"}),)
            ),
        ),
        Rule(match={"contains": "cut"}, reply=Reply(text="one two three four five six seven")),
    )
)
REQUESTS = [
    ("plain", CHAT),
    ("stream", {**CHAT, "stream": True, "stream_options": {"include_usage": True}}),
    (
        "tools",
        {
            **CHAT,
            "messages": [{"role": "user", "content": "weather?"}],
            "tools": WEATHER_TOOLS,
            "tool_choice": "auto",
            "stream": True,
        },
    ),
    ("error", {**CHAT, "max_tokens": -1}),
    ("cut", {**CHAT, "messages": [{"role": "user", "content": "cut please"}], "stream": True}),
]


def _read(client: httpx.Client, body: dict[str, object]) -> tuple[int, bytes, list[float], bool]:
    """Status, body bytes, chunk arrival offsets, and whether the body completed."""
    start = time.monotonic()
    offsets: list[float] = []
    data = b""
    # the upstream cuts this one; the replay must cut it too, from the cassette alone
    headers = {"x-fake-fault": "cut; after_chunks=3"} if "cut" in str(body) else {}
    with client.stream("POST", "/v1/chat/completions", json=body, headers=headers) as response:
        try:
            for chunk in response.iter_raw():
                offsets.append(time.monotonic() - start)
                data += chunk
        except httpx.RemoteProtocolError:
            return response.status_code, data, offsets, False
        return response.status_code, data, offsets, True


def test_every_kind_of_session_replays_byte_for_byte(
    tmp_path: Path, replay_clock: ReplayClock
) -> None:
    cassette = tmp_path / "session.jsonl"
    config = vllm_config(
        "0.9.2",
        script=SCRIPT,
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
        timing=Timing(ttft=0.05, itl=0.01),
    )
    recorded = {}
    with live(create_vllm_app(config)) as upstream:
        recorder = Recorder(upstream.url, cassette)
        with live(recorder) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            for name, body in REQUESTS:
                recorded[name] = _read(client, body)
    assert [i.complete for i in load(cassette).interactions] == [True, True, True, True, False]
    assert recorded["error"][0] == 400 and recorded["cut"][3] is False

    interactions = dict(
        zip([name for name, _ in REQUESTS], load(cassette).interactions, strict=True)
    )
    with (
        live(Replayer([load(cassette)], speed=1.0)) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        for name, body in REQUESTS:
            replay_clock.log.clear()
            status, data, _, complete = _read(client, body)
            assert (status, data, complete) == (*recorded[name][:2], recorded[name][3]), name
            # the replay waits out the recorded time to the first chunk, then the gaps
            offsets = [chunk.offset for chunk in interactions[name].chunks]
            sleeps = replay_clock.sleeps()
            assert sleeps[:1] == pytest.approx(offsets[:1]), name
            assert sum(sleeps) == pytest.approx(offsets[-1]), name
    # the recorded stream was paced by the fake vLLM's TTFT and ITL
    stream = [chunk.offset for chunk in interactions["stream"].chunks]
    assert stream[0] >= 0.05 - Lateness.TICK and stream[-1] - stream[0] > 0.01


def test_speed_zero_replays_without_waiting(tmp_path: Path, replay_clock: ReplayClock) -> None:
    cassette = tmp_path / "slow.jsonl"
    config = vllm_config("0.9.2", timing=Timing(ttft=0.2, itl=0.05))
    with live(create_vllm_app(config)) as upstream:
        with (
            live(Recorder(upstream.url, cassette)) as proxy,
            httpx.Client(base_url=proxy.url, timeout=10) as client,
        ):
            slow = _read(client, {**CHAT, "stream": True})
    assert slow[2][-1] > 0.5
    with (
        live(Replayer([load(cassette)], speed=0)) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        fast = _read(client, {**CHAT, "stream": True})
    assert fast[1] == slow[1] and len(fast[2]) > 1
    assert replay_clock.log == []  # not one sleep

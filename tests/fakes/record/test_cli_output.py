"""``record`` and ``replay`` as a user runs them: a line per exchange, a summary at exit,
and a cassette that grows by appending (never rewritten) and is valid after every line."""

from __future__ import annotations

import os
import queue
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fakes.http.server import live
from fakes.record import Interaction, Recorder, load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config

pytestmark = pytest.mark.live


class _Command:
    """A CLI server in a subprocess: its URL read from the banner, stopped with SIGTERM."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fakes", *args, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.err = b""
        assert self.process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 30
        while not (found := re.search(rb" on (http://127\.0\.0\.1:\d+)", self.err)):
            assert time.monotonic() < deadline and self.process.poll() is None, self.err
            if selector.select(timeout=1):
                self.err += os.read(self.process.stderr.fileno(), 65536)
        self.url = found.group(1).decode()

    def stop(self) -> tuple[str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        assert self.process.returncode == 0, err
        return out.decode(), (self.err + err).decode()


def test_record_and_replay_print_each_exchange_and_a_summary(tmp_path: Path) -> None:
    cassette = tmp_path / "session.jsonl"
    with live(create_vllm_app(vllm_config("0.9.2"))) as upstream:
        recording = _Command("record", "--upstream", upstream.url, "--out", str(cassette))
        try:
            with httpx.Client(base_url=recording.url, timeout=10) as client:
                assert client.post("/v1/chat/completions", json=CHAT).status_code == 200
                streamed = {**CHAT, "stream": True}
                assert client.post("/v1/chat/completions", json=streamed).status_code == 200
        finally:
            out, _ = recording.stop()
    lines = out.splitlines()
    assert re.fullmatch(r"#1 POST /v1/chat/completions -> 200, 1 chunks, \d+ bytes", lines[0])
    assert re.fullmatch(r"#2 POST /v1/chat/completions -> 200, \d+ chunks, \d+ bytes", lines[1])
    assert lines[-1] == f"recorded 2 exchanges; {cassette} holds 2"

    replaying = _Command("replay", str(cassette), "--speed", "0")
    try:
        with httpx.Client(base_url=replaying.url, timeout=10) as client:
            assert client.post("/v1/chat/completions", json=CHAT).status_code == 200
            other = {**CHAT, "messages": [{"role": "user", "content": "other"}]}
            assert client.post("/v1/chat/completions", json=other).status_code == 404
    finally:
        out, err = replaying.stop()
    assert out.splitlines() == [
        "POST /v1/chat/completions -> 200, 1 chunks replayed",
        "replayed 1 requests, 1 missed",
    ]
    assert (
        "miss POST /v1/chat/completions -> 404: llm-fakes replay: no recorded interaction "
        "matches POST /v1/chat/completions. Closest: #1 POST /v1/chat/completions, which "
        'differs: body.messages[0].content: got "other", recorded'
    ) in err


def test_the_recorder_appends_a_line_per_exchange(tmp_path: Path) -> None:
    cassette = tmp_path / "session.jsonl"
    with live(create_vllm_app(vllm_config("0.9.2"))) as upstream:
        kept: queue.Queue[Interaction] = queue.Queue()
        recorder = Recorder(upstream.url, cassette, on_exchange=kept.put)
        inode, size = cassette.stat().st_ino, cassette.stat().st_size
        with live(recorder) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            for n in range(1, 4):
                client.post("/v1/chat/completions", json=CHAT)
                kept.get_nowait()  # kept before the client saw the end of the answer
                # a valid cassette after every exchange, grown in place by one line
                assert len(load(cassette).interactions) == n
                stat = cassette.stat()
                assert stat.st_ino == inode and stat.st_size > size
                size = stat.st_size
    assert cassette.read_bytes().count(b"\n") == 4  # the header and three exchanges

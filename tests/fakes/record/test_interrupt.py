"""Ctrl-C in the middle of a recorded stream leaves a valid cassette with what was seen."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from fakes.http.server import live
from fakes.model.timing import Timing
from fakes.record import load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config

pytestmark = pytest.mark.live


def test_sigint_mid_stream_keeps_the_partial_interaction(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    slow = vllm_config("0.9.2", timing=Timing(ttft=0.01, itl=0.2))
    with live(create_vllm_app(slow)) as upstream:
        command = [
            sys.executable,
            "-m",
            "fakes",
            "record",
            "--upstream",
            upstream.url,
            "--out",
            str(cassette),
            "--port",
            "0",
        ]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            url = None
            assert process.stderr is not None
            deadline = time.monotonic() + 20
            while url is None and time.monotonic() < deadline:
                match = re.search(r"on (http://127\.0\.0\.1:\d+)", process.stderr.readline())
                url = match.group(1) if match else None
            assert url, "the recorder did not start"
            first_chunk = threading.Event()

            def client() -> None:
                with httpx.Client(timeout=10) as http:
                    try:
                        with http.stream(
                            "POST", url + "/v1/chat/completions", json={**CHAT, "stream": True}
                        ) as response:
                            for _ in response.iter_raw():
                                first_chunk.set()
                    except httpx.HTTPError:
                        pass

            thread = threading.Thread(target=client, daemon=True)
            thread.start()
            assert first_chunk.wait(10)
            os.kill(process.pid, signal.SIGINT)
            assert process.wait(timeout=20) == 0
            thread.join(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
    [item] = load(cassette).interactions
    assert item.status == 200 and item.chunks and not item.complete
    assert item.body.startswith(b"data: {")

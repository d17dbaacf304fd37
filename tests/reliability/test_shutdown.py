"""SIGTERM with streams open: the servers finish short streams, end the rest cleanly within
uvicorn's graceful timeout, exit 0; the recorder leaves a valid cassette with what it saw."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from fakes.http.server import live
from fakes.model.script import Script
from fakes.model.timing import Timing
from fakes.record import load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config
from tests.reliability.figures import FIGURES

pytestmark = pytest.mark.live

GRACE = 2.0  # fakes.http.server.uvicorn_config(timeout_graceful_shutdown=2)
EXIT_BOUND = GRACE + 6.0  # seconds from SIGTERM to exit, with room for a loaded machine
LONG_TEXT = " ".join(["word"] * 200)


@contextmanager
def _serving(args: list[str]) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """``llm-fakes ARGS`` on a free port; its stderr lines are collected as they come."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", *args], stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    found = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if re.search(r"http://127\.0\.0\.1:\d+", line):
                found.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert found.wait(20), f"did not start: {''.join(lines)}"
        url = next(
            m.group(0) for line in lines if (m := re.search(r"http://127\.0\.0\.1:\d+", line))
        )
        yield process, url, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        reader.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()


STACK_KEY = "sk-shutdown-test-Str0ng-key-0123456789"
STACK_AUTH = {"Authorization": f"Bearer {STACK_KEY}"}


def _stream(
    url: str, body: dict[str, object], outcome: dict[str, str], started: threading.Event
) -> None:
    try:
        with (
            httpx.Client(timeout=15) as client,
            client.stream(
                "POST",
                f"{url}/v1/chat/completions",
                json={**body, "stream": True},
                headers=STACK_AUTH,  # the fake vLLM has no key and ignores it
            ) as response,
        ):
            data = b""
            for chunk in response.iter_raw():
                data += chunk
                started.set()
            outcome["result"] = "complete" if data.endswith(b"data: [DONE]\n\n") else "short"
    except httpx.RemoteProtocolError:
        outcome["result"] = "ended"  # the connection closed mid-body: a clean end
    except httpx.HTTPError as exc:
        outcome["result"] = f"error: {exc!r}"
    finally:
        started.set()


def _sigterm_with_streams(
    url: str, process: subprocess.Popen[str], bodies: list[dict[str, object]]
) -> tuple[list[str], float]:
    outcomes = [dict[str, str]() for _ in bodies]
    started = [threading.Event() for _ in bodies]
    threads = [
        threading.Thread(target=_stream, args=(url, body, outcome, event), daemon=True)
        for body, outcome, event in zip(bodies, outcomes, started, strict=True)
    ]
    for thread in threads:
        thread.start()
    assert all(event.wait(15) for event in started)
    sent = time.monotonic()
    os.kill(process.pid, signal.SIGTERM)
    code = process.wait(timeout=EXIT_BOUND + 5)
    took = time.monotonic() - sent
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a client hung after the server stopped"
    assert code == 0
    FIGURES["streams open at SIGTERM"] += len(bodies)
    return [o.get("result", "none") for o in outcomes], took


def _long_script(tmp: Path) -> str:
    path = tmp / "script.yaml"
    rules = {"rules": [{"match": {"contains": "long"}, "reply": {"text": LONG_TEXT}}]}
    Script.model_validate(rules)
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    return str(path)


def test_sigterm_to_serve_vllm_finishes_short_streams_and_ends_long_ones(tmp_path: Path) -> None:
    args = ["serve", "vllm", "--version", "0.9.2", "--port", "0", "--itl", "0.05"]
    args += ["--script", _long_script(tmp_path)]
    short = {**CHAT, "max_tokens": 20}  # ~1 s at 50 ms a token: inside the grace period
    long = {**CHAT, "messages": [{"role": "user", "content": "long please"}]}  # ~10 s
    with _serving(args) as (process, url, lines):
        outcomes, took = _sigterm_with_streams(url, process, [short, short, long, long])
        assert not _accepts(url), "still accepting connections after SIGTERM"
    assert outcomes == ["complete", "complete", "ended", "ended"], outcomes
    assert took < EXIT_BOUND, f"took {took:.1f} s to stop"
    assert "Traceback" not in "".join(lines)


def test_sigterm_to_serve_stack_ends_streams_through_both(tmp_path: Path) -> None:
    args = ["serve", "stack", "--vllm-port", "0", "--litellm-port", "0", "--master-key", STACK_KEY]
    with _serving(args) as (process, _url, lines):
        litellm = re.findall(r"http://127\.0\.0\.1:\d+", "".join(lines))[0]
        outcomes, took = _sigterm_with_streams(litellm, process, [CHAT, CHAT])
    assert set(outcomes) <= {"complete", "ended"}, outcomes
    assert took < EXIT_BOUND
    assert "Traceback" not in "".join(lines)


def _accepts(url: str) -> bool:
    try:
        httpx.get(f"{url}/health", timeout=2)
    except httpx.TransportError:
        return False
    return True


def test_sigterm_to_record_mid_stream_leaves_a_valid_cassette(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    slow = vllm_config("0.9.2", timing=Timing(ttft=0.01, itl=0.2))
    with live(create_vllm_app(slow)) as upstream:
        args = ["record", "--upstream", upstream.url, "--out", str(cassette), "--port", "0"]
        with _serving(args) as (process, url, lines):
            # a finished exchange first: it must survive too
            assert httpx.post(
                f"{url}/v1/chat/completions", json={**CHAT, "max_tokens": 2}
            ).is_success
            outcomes, took = _sigterm_with_streams(url, process, [CHAT])
    assert outcomes == ["ended"]
    assert took < EXIT_BOUND
    first, second = load(cassette).interactions  # the file is valid, every line
    assert first.complete and first.status == 200
    assert second.status == 200 and second.chunks and not second.complete
    assert second.body.startswith(b"data: {")
    assert "Traceback" not in "".join(lines)

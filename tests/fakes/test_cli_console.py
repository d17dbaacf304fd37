"""Each ``serve BACKEND`` banner names the console its control plane serves."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("backend", ["sglang", "ollama", "llamacpp"])
def test_the_banner_names_a_console_that_answers(backend: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "serve", backend, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/_fake/ui", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        info = httpx.get(f"http://127.0.0.1:{port}/_fake/console", timeout=5)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert page.status_code == 200
    assert info.status_code == 200 and info.json()["backend"] == backend
    assert f"console: http://127.0.0.1:{port}/_fake/ui".encode() in err

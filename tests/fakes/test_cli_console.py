"""Each ``serve BACKEND`` banner names the console its control plane serves."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests._live import free_ports, wait_until_answering


@pytest.mark.parametrize("backend", ["sglang", "ollama", "llamacpp"])
def test_the_banner_names_a_console_that_answers(backend: str) -> None:
    [port] = free_ports(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "serve", backend, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        page = wait_until_answering(f"http://127.0.0.1:{port}/_fake/ui", process)
        info = httpx.get(f"http://127.0.0.1:{port}/_fake/console", timeout=5)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert page.status_code == 200
    assert info.status_code == 200 and info.json()["backend"] == backend
    assert f"console: http://127.0.0.1:{port}/_fake/ui".encode() in err

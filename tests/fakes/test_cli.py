from __future__ import annotations

import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from fakes.cli import main


def test_profiles_lists_every_range() -> None:
    result = CliRunner().invoke(main, ["profiles"])
    assert result.exit_code == 0
    for name in ("vllm-0.4", "vllm-0.9", "vllm-0.12"):
        assert name in result.output


def test_unknown_release_is_one_clean_line() -> None:
    result = CliRunner().invoke(main, ["serve", "vllm", "--version", "0.1.0", "--port", "0"])
    assert result.exit_code == 1
    assert "Error: vllm 0.1.0 is outside every known range" in result.output
    assert "Traceback" not in result.output


def test_missing_profile_file_is_a_clean_error() -> None:
    result = CliRunner().invoke(main, ["serve", "vllm", "--profile", "nope.yaml"])
    assert result.exit_code == 1 and "nope.yaml: cannot read profile" in result.output


def test_serve_starts_and_answers(tmp_path: object) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "serve", "vllm", "--version", "0.9.2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/version", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        assert response.json() == {"version": "0.9.2"}
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert b"curl http://127.0.0.1:" in err and b"from openai import OpenAI" in err


def test_two_workers_answer(tmp_path: object) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "fakes", "serve", "vllm", "--version", "0.9.2"),
            *("--port", str(port), "--workers", "2", "--served-model-name", "m"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(8):  # new connections, spread over the workers by the kernel
                response = client.post(
                    "/v1/chat/completions",
                    json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                    headers={"Connection": "close"},
                )
                assert response.status_code == 200
                assert response.json()["object"] == "chat.completion"
            assert client.get("/version").json() == {"version": "0.9.2"}
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    assert b"2 workers" in err and err.count(b"Started server process") == 2

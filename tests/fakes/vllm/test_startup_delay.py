"""--startup-delay: the port is bound but refuses connections, as while vLLM loads a model."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

URL = re.compile(rb"http://127\.0\.0\.1:(\d+)")


@contextmanager
def _serve(delay: str) -> Iterator[tuple[subprocess.Popen[bytes], list[bytes]]]:
    command = [sys.executable, "-m", "fakes", "serve", "vllm", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--startup-delay", delay], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield process, []
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _until(process: subprocess.Popen[bytes], seen: list[bytes], marker: bytes) -> None:
    """Read the banner up to ``marker`` (bounded: the process prints it or exits)."""
    assert process.stderr is not None
    for _ in range(200):
        line = process.stderr.readline()
        assert line, b"".join(seen).decode()
        seen.append(line)
        if marker in line:
            return
    pytest.fail(b"".join(seen).decode())


def _port(seen: list[bytes]) -> int:
    match = URL.search(b"".join(seen))
    assert match, b"".join(seen).decode()
    return int(match[1])


def test_connections_are_refused_while_loading() -> None:
    with _serve("3600") as (process, seen):
        _until(process, seen, b"loading: connections refused for 3600 s")
        port = _port(seen)
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
            pass
        # the port is taken all along: nothing else can bind it during the load
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))


def test_health_answers_once_loaded() -> None:
    with _serve("0.2") as (process, seen):
        _until(process, seen, b"loaded: accepting connections")
        response = httpx.get(f"http://127.0.0.1:{_port(seen)}/health", timeout=10)
        assert response.status_code == 200


def test_a_negative_delay_is_refused() -> None:
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["serve", "vllm", "--port", "0", "--startup-delay", "-1"])
    assert result.exit_code == 2 and "Invalid value for '--startup-delay'" in result.output

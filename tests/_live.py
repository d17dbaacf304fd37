"""Servers started as processes by a test: free loopback ports, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 now (held together, so the list has no repeats)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def until_up(
    call: Callable[[], httpx.Response], process: subprocess.Popen[bytes], seconds: float = 30
) -> httpx.Response:
    """``call`` again until the server started as ``process`` accepts the connection; fails if
    the server exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except httpx.TransportError:
            assert process.poll() is None, "the server exited before it answered"
            assert time.monotonic() < deadline, f"no answer in {seconds} s"
            time.sleep(0.05)


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], seconds: float = 30
) -> httpx.Response:
    """GET ``url`` until the server started as ``process`` answers."""
    return until_up(lambda: httpx.get(url, timeout=1), process, seconds)


def stack_master_key(process: subprocess.Popen[bytes], lines: int = 20) -> tuple[str, list[str]]:
    """The master key ``serve stack`` prints in its banner (on stderr), and the banner read."""
    assert process.stderr is not None
    banner: list[str] = []
    for _ in range(lines):
        banner.append(process.stderr.readline().decode())
        if banner[-1].startswith("master key: MASTER_KEY=sk-"):
            return banner[-1].strip().rpartition("=")[2], banner
    raise AssertionError(f"no master key in the banner: {banner}")

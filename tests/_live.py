"""Servers started as processes by a test: free loopback ports, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time

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


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], seconds: float = 30
) -> httpx.Response:
    """GET ``url`` until the server started as ``process`` answers; fails if it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            assert process.poll() is None, "the server exited before it answered"
            assert time.monotonic() < deadline, f"{url} did not answer in {seconds} s"
            time.sleep(0.05)

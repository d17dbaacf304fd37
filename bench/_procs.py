"""Processes the benchmark starts: loopback servers and clients, each ended by its own PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"

_started: list[subprocess.Popen[bytes]] = []
_logs: dict[int, IO[bytes]] = {}


def stderr_of(process: subprocess.Popen[bytes]) -> str:
    log = _logs.get(process.pid)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def spawn(argv: Sequence[str], *, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # stderr goes to a file, never a pipe nobody reads (a full pipe would stall the server)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
    process = subprocess.Popen(
        list(argv),
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    _logs[process.pid] = log
    _started.append(process)
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """End one process we started, by its PID: SIGTERM, then SIGKILL after ``timeout``."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    log = _logs.pop(process.pid, None)
    if log is not None:
        log.close()
    if process in _started:
        _started.remove(process)


def stop_all() -> None:
    for process in list(_started):
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    """Poll ``url`` until it answers 200; return the seconds it took (bounded by ``timeout``)."""
    started = time.monotonic()
    deadline = started + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = stderr_of(process)
                raise RuntimeError(f"server exited with {process.returncode}: {err[-2000:]}")
            try:
                if client.get(url).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    ready: float  # seconds from spawn to the first 200


@contextmanager
def server(
    argv: Sequence[str],
    port: int,
    *,
    ready_path: str = "/health",
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Iterator[Served]:
    process = spawn(argv, env=env)
    url = f"http://{HOST}:{port}"
    try:
        ready = wait_ready(url + ready_path, process, timeout)
        yield Served(url, process, ready)
    finally:
        stop(process)


def fake_vllm_argv(port: int, *extra: str) -> list[str]:
    return [PYTHON, "-m", "fakes", "serve", "vllm", "--host", HOST, "--port", str(port), *extra]


def vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU-seconds the whole machine has spent busy since boot (all CPUs, from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def cpu_seconds(pid: int) -> float:
    """CPU-seconds (user + system) one process has used."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS

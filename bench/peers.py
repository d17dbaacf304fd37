"""The peers `make bench` runs beside the fake: other OpenAI-compatible mock servers, each
installed on first use from its own registry with its ordinary client (npm, pip) into a cache
folder outside the repository, and started on 127.0.0.1. A peer that cannot be installed or
started is reported as such; the run goes on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._procs import HOST

MOCK_LLM = "@dwmkerr/mock-llm@0.1.29"  # Node, express
LLMOCK = "llmock==0.2.2"  # Python, FastAPI + uvicorn


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llm-fakes-bench"


@dataclass(frozen=True)
class Peer:
    name: str
    argv: Callable[[int], list[str]]
    env: Callable[[int], dict[str, str]]
    # makes the running peer stream ``text`` in word-sized chunks with no pause between them,
    # for a chat request whose last user message is ``text``
    stream_text: Callable[[str, str], None]


class PeerUnavailable(Exception):
    pass


def _run(argv: list[str], what: str) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        tail = detail.decode("utf-8", "replace").strip().splitlines()[-1:] if detail else []
        raise PeerUnavailable(f"{what} failed: {type(exc).__name__} {' '.join(tail)}") from None


def mock_llm() -> Peer:
    """@dwmkerr/mock-llm from the npm registry (its default rule echoes the last message)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise PeerUnavailable("node and npm are not installed (Debian: apt-get install npm)")
    prefix = cache_dir() / "mock-llm"
    main = prefix / "node_modules" / "@dwmkerr" / "mock-llm" / "dist" / "main.js"
    if not main.exists():
        prefix.mkdir(parents=True, exist_ok=True)
        _run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), MOCK_LLM], "npm")
    return Peer(
        "@dwmkerr/mock-llm 0.1.29 (Node)",
        lambda port: [node, str(main)],
        lambda port: {"HOST": HOST, "PORT": str(port)},
        _mock_llm_stream,
    )


def _mock_llm_stream(url: str, text: str) -> None:
    """Its default rule echoes the last user message; a stream cuts the answer into chunks of
    ``chunkSize`` characters sent every ``chunkIntervalMs`` (Node's timers wait at least
    1 ms, so each chunk of a stream costs a millisecond however idle the server is)."""
    size = max(1, round(len(text) / len(text.split())))
    update = {"streaming": {"chunkSize": size, "chunkIntervalMs": 0}}
    httpx.patch(url + "/config", json=update, timeout=10).raise_for_status()


def llmock() -> Peer:
    """llmock from PyPI, in a virtualenv of its own."""
    venv = cache_dir() / "llmock-venv"
    exe = venv / "bin" / "llmock"
    if not exe.exists():
        _run([sys.executable, "-m", "venv", str(venv)], "venv")
        _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", LLMOCK], "pip")
    return Peer(
        "llmock 0.2.2 (Python)",
        lambda port: [
            str(exe),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        lambda port: {},
        _llmock_stream,
    )


def _llmock_stream(url: str, text: str) -> None:
    """A permanent scripted reply (``times: null``); llmock streams a reply one word-sized
    piece per event, with no pause by default."""
    behaviour = {"type": "reply", "text": text, "times": None}
    httpx.post(
        url + "/_llmock/scenario", json={"behaviors": [behaviour]}, timeout=10
    ).raise_for_status()


PEERS: tuple[Callable[[], Peer], ...] = (mock_llm, llmock)

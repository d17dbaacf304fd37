"""Diff the fake SGLang against a release's own serving code, exchange by exchange.

In the project's environment:
    python -m reference.sglang_harness.run --version 0.5.23 --python ENV/bin/python [--record]

ENV holds that release's wheel (installed --no-deps) and the light packages its OpenAI layer
imports (docs/sglang.md lists them). For each setup, serve.py starts the real app on a free
127.0.0.1 port; every probe goes to it and to the fake; bodies and SSE events are compared by
JSON path after normalizing ids' random parts and ``created``. ``--record`` writes the real
side to recordings/sglang/sglang-X.json, which tests/reference/test_sglang_recordings.py replays
against the fake in ``make test``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reference._process import stop
from reference.sglang_harness import _probes
from reference.sglang_harness._fake import fake_client, send
from reference.vllm_harness._normalize import differences, scrub

ROOT = Path(__file__).resolve().parents[2]
FORMAT = "llm-fakes-sglang-harness"
# FastAPI names the endpoint's file; wherever the release was installed, never a machine path
_INSTALL = re.compile(rb'File \\"[^"\\]*/sglang/')


def _scrub(body: bytes) -> bytes:
    return _INSTALL.sub(rb'File \\"<site-packages>/sglang/', scrub(body))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(python: str, setup: _probes.Setup, port: int, workdir: Path) -> subprocess.Popen[Any]:
    script = workdir / f"{setup.name}.script.json"
    script.write_text(_probes.SCRIPT.model_dump_json())
    command = [
        python,
        "-m",
        "reference.sglang_harness.serve",
        "--port",
        str(port),
        "--model-dir",
        str(workdir / "tiny-model"),
        "--script",
        str(script),
    ]
    if setup.tool_call_parser:
        command += ["--tool-call-parser", setup.tool_call_parser]
    if setup.reasoning_parser:
        command += ["--reasoning-parser", setup.reasoning_parser]
    log = (workdir / f"{setup.name}.log").open("w")
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _wait(port: int, process: subprocess.Popen[Any], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the real server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.5)  # a bounded pause that also notices an early exit
    raise SystemExit(f"the real server did not answer /v1/models within {seconds:.0f} s")


def _exchange(probe: _probes.Probe, response: httpx.Response) -> dict[str, Any]:
    return {
        "name": probe.name,
        "request": {
            "method": probe.method,
            "path": probe.path,
            "headers": probe.headers,
            "body": probe.body,
        },
        "status": response.status_code,
        "content_type": response.headers.get("content-type"),
        "streamed": probe.streamed,
        "response": _scrub(response.content).decode("utf-8", "replace"),
    }


async def _real_side(port: int, setup: _probes.Setup) -> list[dict[str, Any]]:
    out = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for probe in setup.probes:
            exchange = _exchange(probe, httpx.Response(0))
            response = await send(client, exchange)
            out.append(_exchange(probe, response))
    return out


async def compare(version: str, setup: dict[str, Any]) -> list[str]:
    """Every difference between a recorded setup and the fake, one line each."""
    lines = []
    async with fake_client(version, setup) as client:
        for exchange in setup["exchanges"]:
            response = await send(client, exchange)
            name = f"{setup['name']}/{exchange['name']}"
            if response.status_code != exchange["status"]:
                lines.append(
                    f"{name}: status real {exchange['status']} vs fake {response.status_code}"
                )
            for line in differences(
                exchange["response"].encode(), response.content, streamed=exchange["streamed"]
            ):
                lines.append(f"{name}: {line}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    parser.add_argument("--python", required=True, help="the reference environment's python")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    setups = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        for setup in _probes.SETUPS:
            port = _free_port()
            process = _start(args.python, setup, port, workdir)
            try:
                _wait(port, process)
                exchanges = asyncio.run(_real_side(port, setup))
            finally:
                stop(process)
            setups.append(
                {
                    "name": setup.name,
                    "tool_call_parser": setup.tool_call_parser,
                    "reasoning_parser": setup.reasoning_parser,
                    "script": json.loads(_probes.SCRIPT.model_dump_json()),
                    "exchanges": exchanges,
                }
            )
    total = same = 0
    for setup_data in setups:
        lines = asyncio.run(compare(args.version, setup_data))
        for line in lines:
            print(line)
        names = {line.split(":", 1)[0] for line in lines}
        total += len(setup_data["exchanges"])
        same += sum(
            f"{setup_data['name']}/{e['name']}" not in names for e in setup_data["exchanges"]
        )
    print(f"{same}/{total} exchanges identical (SGLang {args.version})")
    if args.record:
        target = ROOT / "recordings" / "sglang" / f"sglang-{args.version}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT, "version": 1, "sglang": args.version, "setups": setups}
        target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        print(f"recorded {target.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

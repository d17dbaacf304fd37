"""Send the same requests to a vLLM release's own app (scripted engine) and to the fake; diff.

Runs in the project's .venv::

    python -m reference.vllm_harness.run --version 0.12.0 --python .venv-vllm-0.12.0/bin/python
        [--record] [--only PATTERN] [--propose FILE]

Prints every difference by JSON path and "N/N exchanges identical"; ``--record`` writes the
real side as a cassette (recordings/vllm/vllm-X.jsonl) and its setups beside it; ``--propose``
writes the knob differences as a proposed profile extending the nearest one (_propose.py).
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from fakes.http.server import LiveServer
from fakes.profiles import resolve_vllm_profile
from fakes.record import Chunk, Header, Interaction, Redactor, save
from reference._process import stop
from reference.vllm_harness._catalogue import (
    Call,
    Case,
    message_shape_cases,
    messages_cases,
    probe_cases,
    scenario_cases,
)
from reference.vllm_harness._environment import measure
from reference.vllm_harness._normalize import differences, scrub
from reference.vllm_harness._propose import Exchange, propose, render
from reference.vllm_harness._setup import Setup, fake_app
from reference.vllm_harness._setups_file import write_setups

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0  # seconds for the real app to import vLLM and build (2 slow cores)
# one request; 0.4-0.5's first guided-decoding request compiles outlines' FSM with numba
# (over a minute on two loaded cores)
REQUEST_TIMEOUT = 300.0
KEPT_HEADERS = ("content-type",)
_ID_LENGTH = re.compile(r'id: real "[^"]*<hex(\d+)>" vs fake "[^"]*<hex(?!\1>)\d+>"$')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def real_server(python: str, state: Path, flags: list[str]) -> AsyncIterator[str]:
    port = _free_port()
    log = state / f"serve-{port}.log"
    state.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [python, "-m", "reference.vllm_harness.serve", "--port", str(port)]
    command += ["--state", str(state), "--", *flags]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the real app exited; see {log}")
                try:
                    if (await client.get(url + "/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the real app did not start in {START_TIMEOUT:.0f} s")
                await asyncio.sleep(0.5)  # polling a child's start-up, not synchronizing a test
        yield url
    finally:
        stop(process)


async def _send(client: httpx.AsyncClient, call: Call) -> Interaction:
    started = time.monotonic()
    request = client.build_request(call.method, call.path, content=call.body, headers=call.headers)
    response = await client.send(request, stream=True)
    chunks = []
    complete = True
    try:
        async for data in response.aiter_raw():
            chunks.append(Chunk(time.monotonic() - started, data))
    except httpx.RemoteProtocolError:
        complete = False  # the server dropped the connection mid-body
    finally:
        await response.aclose()
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    query = call.path.partition("?")[2]
    return Interaction(
        call.method,
        call.path.partition("?")[0],
        query,
        dict(call.headers),
        call.body,
        response.status_code,
        headers,
        tuple(chunks),
        complete,
    )


def _streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


def compare(real: Interaction, fake: Interaction) -> list[str]:
    out = []
    if real.complete != fake.complete:
        out.append(f"complete: real {real.complete} vs fake {fake.complete} (a cut stream)")
    if real.status != fake.status:
        out.append(f"status: real {real.status} vs fake {fake.status}")
    real_type = real.response_headers.get("content-type")
    fake_type = fake.response_headers.get("content-type")
    if real_type != fake_type:
        out.append(f"content-type: real {real_type!r} vs fake {fake_type!r}")
    return out + differences(real.body, fake.body, streamed=_streamed(real))


async def run_case(
    version: str, case: Case, real: httpx.AsyncClient, environment: dict[str, str] | None = None
) -> list[tuple[Call, Interaction, Interaction, list[str]]]:
    await real.post("/_harness/script", json=case.setup.script)
    # the fake on a real socket too: chunk boundaries and cut streams as a client sees them
    app = fake_app(version, case.setup, environment)
    server = await asyncio.to_thread(LiveServer(app).start)
    results = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT) as fake:
            for call in case.calls:
                got = await _send(real, call)
                expected = await _send(fake, call)
                results.append((call, got, expected, compare(got, expected)))
    finally:
        await asyncio.to_thread(server.stop)
    return results


async def run(
    version: str, python: str, state: Path, only: list[str], echo: bool = True
) -> tuple[int, int, list[tuple[Setup, list[Interaction]]], list[Exchange], dict[str, str]]:
    environment = measure(python)  # the fake gets the same FastAPI
    scenario, skipped = await scenario_cases(version)
    probes = probe_cases(version) + message_shape_cases(version) + messages_cases(version)
    cases = [c for c in probes + scenario if _chosen(c.setup.name, only)]
    groups: dict[tuple[str, ...], list[Case]] = {}
    for case in cases:
        groups.setdefault(case.setup.flag_key(), []).append(case)
    identical = total = only_ids = 0
    recorded: list[tuple[Setup, list[Interaction]]] = []
    exchanges: list[Exchange] = []
    for flags, members in groups.items():
        async with (
            real_server(python, state, list(flags)) as url,
            httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT) as client,
        ):
            for case in members:
                results = await run_case(version, case, client, environment)
                recorded.append((case.setup, [got for _, got, _, _ in results]))
                for call, got, expected, found in results:
                    exchanges.append(Exchange(case.setup.name, got, expected, tuple(found)))
                    total += 1
                    identical += not found
                    only_ids += bool(found) and all(_ID_LENGTH.search(x) for x in found)
                    if echo:
                        mark = "same" if not found else f"{len(found)} difference(s)"
                        print(f"{case.setup.name}: {call.method} {call.path}: {mark}")
                        for line in found:
                            print(f"    {line}")
    if echo:
        for item in skipped:
            print(f"skipped {item.name}: {item.reason}")
        print(f"vLLM {version}: {identical}/{total} exchanges identical")
        if only_ids:
            print(f"  and {only_ids} more differ only in the length of random ids")
    return identical, total, recorded, exchanges, environment


def _chosen(name: str, only: list[str]) -> bool:
    return not only or any(fnmatch.fnmatch(name, pattern) for pattern in only)


def _scrubbed(item: Interaction) -> Interaction:
    return replace(item, chunks=tuple(Chunk(c.offset, scrub(c.data)) for c in item.chunks))


def record(
    version: str,
    recorded: list[tuple[Setup, list[Interaction]]],
    out: Path,
    environment: dict[str, str],
) -> None:
    redactor = Redactor()
    items = [_scrubbed(redactor.interaction(item)) for _, group in recorded for item in group]
    header = Header(
        upstream=f"vLLM {version} (its own OpenAI app, scripted engine)",
        redacted=redactor.describe(),
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    save(out, header, items)
    groups = [(setup, len(group)) for setup, group in recorded]
    write_setups(out, version, groups, environment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference.vllm_harness.run")
    parser.add_argument("--version", required=True)
    parser.add_argument("--python", required=True, help="the reference environment's python")
    parser.add_argument("--state", help="scratch directory (default: beside --python's env)")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="case name pattern")
    parser.add_argument("--propose", metavar="FILE", help="write a proposed profile YAML")
    args = parser.parse_args(argv)
    python = Path(args.python)
    state = Path(args.state) if args.state else python.parent.parent / "harness"
    identical, total, recorded, exchanges, environment = asyncio.run(
        run(args.version, str(python), state, list(args.only))
    )
    if args.record:
        out = ROOT / "recordings" / "vllm" / f"vllm-{args.version}.jsonl"
        record(args.version, recorded, out, environment)
        print(f"recorded {sum(len(g) for _, g in recorded)} interactions to {out.name}")
    if args.propose:
        parent = resolve_vllm_profile(args.version, None)[0]
        Path(args.propose).write_text(
            render(propose(args.version, parent, exchanges, identical)), encoding="utf-8"
        )
        print(f"proposed profile (extends {parent.name}) written to {args.propose}")
    return 0 if identical == total else 1


if __name__ == "__main__":
    sys.exit(main())

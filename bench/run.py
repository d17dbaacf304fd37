"""``make bench``: every row side by side in one run; a table and ``bench/results.json``.

Rows are measured in priority order; a row that fails is reported as failed (with why) and
the run goes on. Every server is a subprocess on 127.0.0.1, ended by its PID.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

from bench import _procs, _wrk, peers
from bench._procs import HOST, PYTHON, ROOT, fake_vllm_argv, free_port, server

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**CHAT, "stream": True}
RESPONSES = {"model": "fake-model", "input": "hi"}


@dataclass
class Row:
    name: str
    measured: str  # the headline figure(s)
    floor: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    notes: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _post(url: str, body: dict[str, Any], path: str = "/v1/chat/completions") -> bytes:
    response = httpx.post(url + path, json=body, timeout=30)
    response.raise_for_status()
    return response.content


def _script(tmp: Path, words: int) -> Path:
    text = " ".join(
        ("lorem ipsum dolor sit amet consectetur adipiscing elit " * words).split()[:words]
    )
    path = tmp / f"script-{words}.yaml"
    path.write_text(yaml.safe_dump({"rules": [{"reply": {"text": text}}]}))
    return path


# --- 1. non-streaming requests/s ---------------------------------------------------------------


def _alternating(
    urls: list[str],
    body: bytes,
    *,
    connections: int,
    reps: int,
    seconds: float,
    warmup: float = 1,
    headers: dict[str, str] | None = None,
    pids: list[int] | None = None,
    cpu_out: list[list[float]] | None = None,
) -> list[list[float]]:
    """Requests/s of each URL under the same wrk load, warmed up, then taken in turns so
    that drift on a shared machine hits every target alike; any error fails the row.
    With ``pids`` (one per URL), ``cpu_out`` gets each server's CPU microseconds per request
    for every turn: what other work on the machine changes least."""
    for url in urls:
        _wrk.run(url, body, connections=connections, seconds=warmup, headers=headers)
    rates: list[list[float]] = [[] for _ in urls]
    if cpu_out is not None:
        cpu_out.extend([] for _ in urls)
    for _ in range(reps):
        for position, (url, into) in enumerate(zip(urls, rates, strict=True)):
            before = _cpu_seconds(pids[position]) if pids else 0.0
            result = _wrk.run(url, body, connections=connections, seconds=seconds, headers=headers)
            if result.non_2xx or result.socket_errors:
                raise RuntimeError(f"wrk saw errors: {result}")
            if not result.requests:  # streams that all outlast the turn (a loaded machine)
                raise RuntimeError(f"no request completed in a {seconds} s turn: use --seconds")
            into.append(result.rps)
            if pids and cpu_out is not None and result.requests:
                spent = _cpu_seconds(pids[position]) - before
                cpu_out[position].append(spent / result.requests * 1e6)
    return rates


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its waited-for children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _fast_and_reference(
    unit: str, fakes: list[float], refs: list[float], floors: list[float]
) -> tuple[str, str]:
    """The measured column (fast path, then reference path) and the ratios of both."""
    fast, ref, floor = median(fakes), median(refs), median(floors)
    return (
        f"{fast:,.0f} {unit} (reference path {ref:,.0f}, {ref / floor:.2f}x floor)",
        f"fast path {fast / ref:.2f}x the reference path",
    )


def _cpu_note(cpu: list[list[float]]) -> str:
    fast, ref, floor = (median(values) for values in cpu)
    return (
        f"server CPU {fast:,.0f} us (fast), {ref:,.0f} us (reference), {floor:,.0f} us (floor): "
        f"fast path {floor / fast:.2f}x the floor by CPU"
    )


def row_rps(tmp: Path, args: argparse.Namespace) -> Row:
    fake_port, ref_port, floor_port = free_port(), free_port(), free_port()
    body = orjson.dumps(CHAT)
    with (
        server(fake_vllm_argv(fake_port), fake_port) as fake,
        server(fake_vllm_argv(ref_port, "--no-fast-path"), ref_port) as ref,
    ):
        answer = _post(fake.url, CHAT)
        assert len(_post(ref.url, CHAT)) == len(answer)
        (tmp / "answer.json").write_bytes(answer)
        floor_argv = [PYTHON, "-m", "bench.floors", "json", "--port", str(floor_port)]
        with server([*floor_argv, "--body", str(tmp / "answer.json")], floor_port) as floor:
            cpu: list[list[float]] = []
            fakes, refs, floors = _alternating(
                [
                    fake.url + "/v1/chat/completions",
                    ref.url + "/v1/chat/completions",
                    floor.url + "/v1/chat/completions",
                ],
                body,
                connections=32,
                reps=args.reps,
                seconds=args.seconds,
                pids=[fake.process.pid, ref.process.pid, floor.process.pid],
                cpu_out=cpu,
            )
    ratio = median(fakes) / median(floors)
    measured, versus = _fast_and_reference("req/s", fakes, refs, floors)
    versus += "; " + _cpu_note(cpu)
    return Row(
        "1 non-streaming chat req/s",
        measured,
        f"{median(floors):,.0f} req/s",
        ratio,
        ">= 0.9x",
        ratio >= 0.9,
        f"wrk -t1 -c32 POST, {args.reps}x{args.seconds}s alternating fast, reference, floor; "
        f"{versus}; body {len(answer)} B all",
        {
            "fake": fakes,
            "reference_path": refs,
            "floor": floors,
            "cpu_us_per_request": dict(zip(("fake", "reference_path", "floor"), cpu, strict=True)),
            "body_bytes": len(answer),
        },
    )


# --- 2. streaming chunks/s ---------------------------------------------------------------------


def row_stream(tmp: Path, args: argparse.Namespace) -> Row:
    fake_port, ref_port, floor_port = free_port(), free_port(), free_port()
    script = _script(tmp, 199)
    body = orjson.dumps(STREAM)
    with (
        server(fake_vllm_argv(fake_port, "--script", str(script)), fake_port) as fake,
        server(
            fake_vllm_argv(ref_port, "--script", str(script), "--no-fast-path"), ref_port
        ) as ref,
    ):
        answer = _post(fake.url, STREAM)
        events = answer.count(b"\n\n")
        assert _post(ref.url, STREAM).count(b"\n\n") == events
        (tmp / "stream.sse").write_bytes(answer)
        floor_argv = [PYTHON, "-m", "bench.floors", "sse", "--port", str(floor_port)]
        with server([*floor_argv, "--body", str(tmp / "stream.sse")], floor_port) as floor:
            floor_answer = _post(floor.url, STREAM)
            assert floor_answer.count(b"\n\n") == events and len(floor_answer) == len(answer)
            cpu: list[list[float]] = []
            rates = _alternating(
                [
                    fake.url + "/v1/chat/completions",
                    ref.url + "/v1/chat/completions",
                    floor.url + "/v1/chat/completions",
                ],
                body,
                connections=64,
                reps=args.reps,
                seconds=args.seconds,
                pids=[fake.process.pid, ref.process.pid, floor.process.pid],
                cpu_out=cpu,
            )
            fakes, refs, floors = ([rps * events for rps in rps_list] for rps_list in rates)
    ratio = median(fakes) / median(floors)
    measured, versus = _fast_and_reference("chunks/s", fakes, refs, floors)
    versus += "; per stream " + _cpu_note(cpu)
    return Row(
        "2 streaming SSE chunks/s",
        measured,
        f"{median(floors):,.0f} chunks/s",
        ratio,
        ">= 0.8x",
        ratio >= 0.8,
        f"64 concurrent streams of {events} events ({len(answer)} B), same bytes from the "
        f"floor; {args.reps}x{args.seconds}s alternating fast, reference, floor; {versus}",
        {
            "fake": fakes,
            "reference_path": refs,
            "floor": floors,
            "cpu_us_per_stream": dict(zip(("fake", "reference_path", "floor"), cpu, strict=True)),
            "events": events,
            "bytes": len(answer),
        },
    )


# --- 11. /v1/responses, plain and streamed ---------------------------------------------------


def row_responses(tmp: Path, args: argparse.Namespace) -> list[Row]:
    """Rows 1 and 2 for /v1/responses: a plain request with the default reply (req/s) and a
    streamed one of the 199-word script (events/s), fast path, reference path and a floor
    serving the same bytes, alternating."""
    path = "/v1/responses"
    rows = []
    for stream in (False, True):
        request = {**RESPONSES, "stream": True} if stream else RESPONSES
        flags = ["--script", str(_script(tmp, 199))] if stream else []
        fake_port, ref_port, floor_port = free_port(), free_port(), free_port()
        kind = "sse" if stream else "json"
        with (
            server(fake_vllm_argv(fake_port, *flags), fake_port) as fake,
            server(fake_vllm_argv(ref_port, *flags, "--no-fast-path"), ref_port) as ref,
        ):
            answer = _post(fake.url, request, path)
            assert len(_post(ref.url, request, path)) == len(answer)
            events = answer.count(b"\n\n") if stream else 1
            (tmp / f"responses.{kind}").write_bytes(answer)
            floor_argv = [PYTHON, "-m", "bench.floors", kind, "--port", str(floor_port)]
            body_file = str(tmp / f"responses.{kind}")
            with server([*floor_argv, "--body", body_file], floor_port) as floor:
                assert len(_post(floor.url, request, path)) == len(answer)
                cpu: list[list[float]] = []
                rates = _alternating(
                    [fake.url + path, ref.url + path, floor.url + path],
                    orjson.dumps(request),
                    connections=64 if stream else 32,
                    reps=args.reps,
                    seconds=args.seconds,
                    pids=[fake.process.pid, ref.process.pid, floor.process.pid],
                    cpu_out=cpu,
                )
        fakes, refs, floors = ([rps * events for rps in rps_list] for rps_list in rates)
        unit = "events/s" if stream else "req/s"
        ratio = median(fakes) / median(floors)
        measured, versus = _fast_and_reference(unit, fakes, refs, floors)
        versus += ("; per stream " if stream else "; ") + _cpu_note(cpu)
        target = 0.8 if stream else 0.9
        size = f"{events} events, {len(answer)} B" if stream else f"{len(answer)} B"
        rows.append(
            Row(
                f"11 /v1/responses {'streaming' if stream else 'plain'} {unit}",
                measured,
                f"{median(floors):,.0f} {unit}",
                ratio,
                f">= {target}x",
                ratio >= target,
                f"as row {2 if stream else 1} ({size}); {versus}",
                {
                    "fake": fakes,
                    "reference_path": refs,
                    "floor": floors,
                    "cpu_us": dict(zip(("fake", "reference_path", "floor"), cpu, strict=True)),
                    "events": events,
                    "bytes": len(answer),
                },
            )
        )
    return rows


# --- 4. start-up ---------------------------------------------------------------------------------


def _startup(argv_for: Callable[[int], list[str]], env: dict[str, str]) -> tuple[float, float]:
    """Spawn to the first 200 on /health, and the server's CPU time by then (from /proc)."""
    port = free_port()
    started = time.monotonic()
    process = _procs.spawn(argv_for(port), env=env)
    try:
        _procs.wait_ready(f"http://{HOST}:{port}/health", process)
        return time.monotonic() - started, _procs.cpu_seconds(process.pid)
    finally:
        _procs.stop(process)


def _boot_counts(which: str, env: dict[str, str]) -> dict[str, float]:
    """bench/_boot.py: modules, collections, CPU and RSS of one start-up up to serving."""
    done = subprocess.run(
        [PYTHON, "-m", "bench._boot", which],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    if not lines:
        raise RuntimeError(f"bench._boot {which} reported nothing: {done.stderr.decode()[-2000:]}")
    counts: dict[str, float] = orjson.loads(lines[-1])
    return counts


START_UP_TARGET = 0.25  # seconds, spawn to the first 200


def row_startup(tmp: Path, args: argparse.Namespace) -> Row:
    cli = shutil.which("llm-fakes", path=str(Path(PYTHON).parent)) or "llm-fakes"
    # Bytecode as an installed package has it (pip compiles at install): a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise make an editable install compile the fake's own
    # modules at every start. One untimed start of each writes it.
    env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}

    def fake(port: int) -> list[str]:
        return [cli, "serve", "vllm", "--host", HOST, "--port", str(port)]

    def bare(port: int) -> list[str]:
        argv = [PYTHON, "-m", "uvicorn", "bench._bare:app", "--host", HOST, "--port", str(port)]
        return [*argv, "--log-level", "warning", "--lifespan", "off"]

    _startup(fake, env)
    _startup(bare, env)
    fakes: list[tuple[float, float]] = []
    floors: list[tuple[float, float]] = []
    counts: dict[str, list[dict[str, float]]] = {"fake": [], "floor": []}
    for _ in range(max(args.reps, 5)):
        fakes.append(_startup(fake, env))
        floors.append(_startup(bare, env))
        for which in counts:
            counts[which].append(_boot_counts(which, env))
    wall = {"fake": median([w for w, _ in fakes]), "floor": median([w for w, _ in floors])}
    cpu = {"fake": median([c for _, c in fakes]), "floor": median([c for _, c in floors])}
    booted = {
        which: {key: median([run[key] for run in runs]) for key in runs[0]}
        for which, runs in counts.items()
    }
    ratio = wall["fake"] / wall["floor"]
    return Row(
        "4 start-up to first 200",
        f"{wall['fake'] * 1000:.0f} ms",
        f"{wall['floor'] * 1000:.0f} ms",
        ratio,
        f"<= {START_UP_TARGET} s",
        wall["fake"] <= START_UP_TARGET,
        f"spawn to first GET /health 200, polled every 5 ms, median of {len(fakes)}; floor: "
        "uvicorn with a bare ASGI app; bytecode compiled. Server CPU to the first 200 "
        f"{cpu['fake'] * 1000:.0f} vs {cpu['floor'] * 1000:.0f} ms "
        f"({cpu['fake'] / cpu['floor']:.2f}x). Up to serving (bench/_boot.py): "
        f"{booted['fake']['modules']:.0f} vs {booted['floor']['modules']:.0f} modules, "
        f"{booted['fake']['collections']:.0f} vs {booted['floor']['collections']:.0f} "
        f"collections, CPU {booted['fake']['cpu_ms']:.0f} vs {booted['floor']['cpu_ms']:.0f} ms",
        {
            "fake": [w for w, _ in fakes],
            "floor": [w for w, _ in floors],
            "cpu_s": {"fake": [c for _, c in fakes], "floor": [c for _, c in floors]},
            "boot": counts,
        },
    )


# --- 3. timing fidelity --------------------------------------------------------------------------


def _client(
    port: int,
    body: dict[str, Any],
    streams: int,
    *,
    rounds: int,
    spread: float,
    timeout: float = 120.0,
) -> dict[str, Any]:
    argv = [
        PYTHON,
        "-m",
        "bench.streams",
        "--port",
        str(port),
        "--streams",
        str(streams),
        "--rounds",
        str(rounds),
        "--spread",
        str(spread),
        "--body",
        orjson.dumps(body).decode(),
        "--timeout",
        str(timeout),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "streams.json"
        done = subprocess.run(
            [*argv, "--out", str(out)], cwd=ROOT, capture_output=True, timeout=timeout * rounds + 60
        )
        if done.returncode:
            raise RuntimeError(f"stream client failed: {done.stderr.decode()[-2000:]}")
        result: dict[str, Any] = orjson.loads(out.read_bytes())
    return result


def _errors_of(run: dict[str, Any], ttft: float, itl: float) -> dict[str, Any]:
    results = run["results"]
    ttft_err = [(r["ttft"] - ttft) * 1000 for r in results if r["ttft"] is not None]
    itl_err = [
        (b - a - itl) * 1000
        for r in results
        for a, b in zip(r["offsets"][:-2], r["offsets"][1:-1], strict=True)
    ]
    return {
        "streams": run["streams"],
        "completed": len(results),
        "events_per_stream": len(results[0]["offsets"]) if results else 0,
        "errors": len(run["errors"]) + run["bad_status"],
        "error_samples": run["errors"][:3],
        "ttft_p50_ms": quantile(ttft_err, 0.5) if ttft_err else None,
        "ttft_p99_ms": quantile(ttft_err, 0.99) if ttft_err else None,
        "itl_p50_ms": quantile(itl_err, 0.5) if itl_err else None,
        "itl_p99_ms": quantile(itl_err, 0.99) if itl_err else None,
        "client_cpu_share": run["client_cpu"] / run["client_wall"],
        "client_lag_p99_ms": (run["client_lag_p99"] or 0) * 1000,
    }


TTFT, ITL, TOKENS = 0.05, 0.01, 20
REPS = 3
_STATS = (
    "ttft_p50_ms",
    "ttft_p99_ms",
    "itl_p50_ms",
    "itl_p99_ms",
    "client_cpu_share",
    "client_lag_p99_ms",
    "others_cpu_share",
)


def _median_level(reps: list[dict[str, Any]]) -> dict[str, Any]:
    """Each statistic's median over the repetitions; counts are summed; every rep is kept."""
    level = dict(reps[0])
    for key in _STATS:
        level[key] = median([rep[key] for rep in reps])
    level["completed"] = sum(rep["completed"] for rep in reps)
    level["errors"] = sum(rep["errors"] for rep in reps)
    level["error_samples"] = [e for rep in reps for e in rep["error_samples"]][:3]
    level["reps"] = reps
    return level


def row_timing(tmp: Path, args: argparse.Namespace, memory: dict[str, Any]) -> list[Row]:
    port = free_port()
    script = _script(tmp, TOKENS)
    argv = fake_vllm_argv(
        port,
        "--ttft",
        str(TTFT),
        "--itl",
        str(ITL),
        "--script",
        str(script),
        "--max-num-seqs",
        "2000",
    )
    levels: dict[int, dict[str, Any]] = {}
    with server(argv, port) as fake:
        memory["idle_kib"] = _procs.vm_hwm_kib(fake.process.pid)
        _client(port, STREAM, 50, rounds=2, spread=0.1)  # warm-up: first-use code paths
        duration = TTFT + TOKENS * ITL
        for streams, rounds in ((1, 10), (100, 2), (1000, 1)):
            # starts spread over one stream's duration: N streams stay open at once, without
            # all N requests landing in the same millisecond
            reps = []
            for _ in range(REPS):
                busy, served = _procs.machine_busy(), _procs.cpu_seconds(fake.process.pid)
                run = _client(port, STREAM, streams, rounds=rounds, spread=duration)
                rep = _errors_of(run, TTFT, ITL)
                # what the rest of the machine used meanwhile: every other process's CPU time
                ours = _procs.cpu_seconds(fake.process.pid) - served + run["client_cpu"]
                rep["others_cpu_share"] = max(
                    (_procs.machine_busy() - busy - ours) / run["client_wall"], 0.0
                )
                reps.append(rep)
            levels[streams] = _median_level(reps)
        memory["load_kib"] = _procs.vm_hwm_kib(fake.process.pid)
    rows = []
    for streams, level in levels.items():
        strict = streams <= 100
        offered = streams / duration * level["events_per_stream"]
        met = level["errors"] == 0 and (
            not strict
            or (
                abs(level["ttft_p50_ms"]) < 1
                and abs(level["itl_p50_ms"]) < 1
                and level["ttft_p99_ms"] < 5
                and level["itl_p99_ms"] < 5
            )
        )
        rows.append(
            Row(
                f"3 timing @ {streams} streams",
                f"TTFT err p50 {level['ttft_p50_ms']:+.2f} / p99 {level['ttft_p99_ms']:+.2f} ms; "
                f"ITL err p50 {level['itl_p50_ms']:+.2f} / p99 {level['itl_p99_ms']:+.2f} ms",
                f"{level['completed']} streams, {level['errors']} errors",
                None,
                "p50<1 ms, p99<5 ms" if strict else "0 errors",
                met,
                f"medians of {REPS} runs; ttft {TTFT * 1000:.0f} ms, itl {ITL * 1000:.0f} ms, "
                f"{TOKENS} tokens, starts "
                f"spread over {duration * 1000:.0f} ms, {offered:,.0f} events/s offered; client "
                f"CPU {level['client_cpu_share']:.0%} of one core, its loop lag p99 "
                f"{level['client_lag_p99_ms']:.1f} ms; other processes used "
                f"{level['others_cpu_share']:.1f} of {_cpus()} CPUs meanwhile",
                level,
            )
        )
    rows.append(_row_waves(tmp))
    return rows


def _row_waves(tmp: Path) -> Row:
    port, seqs, streams, tokens = free_port(), 4, 12, 10
    ttft, itl = 0.05, 0.01
    script = _script(tmp, tokens)
    argv = fake_vllm_argv(
        port,
        "--ttft",
        str(ttft),
        "--itl",
        str(itl),
        "--script",
        str(script),
        "--max-num-seqs",
        str(seqs),
    )
    with server(argv, port):
        _client(port, STREAM, 1, rounds=1, spread=0)
        run = _client(port, STREAM, streams, rounds=1, spread=0)
    ttfts = sorted(r["ttft"] for r in run["results"])
    events = len(run["results"][0]["offsets"])
    # a slot is held from the first-token wait to the last event: ttft + (events - 2) * itl
    hold = ttft + (events - 2) * itl
    waves = []
    for wave in range(streams // seqs):
        measured = median(ttfts[wave * seqs : (wave + 1) * seqs])
        expected = ttft + wave * hold
        waves.append(
            {"wave": wave + 1, "measured_ms": measured * 1000, "expected_ms": expected * 1000}
        )
    worst = max(abs(w["measured_ms"] - w["expected_ms"]) for w in waves)
    return Row(
        f"3 queueing --max-num-seqs {seqs}",
        "TTFT by wave: " + ", ".join(f"{w['measured_ms']:.0f}" for w in waves) + " ms",
        "expected: " + ", ".join(f"{w['expected_ms']:.0f}" for w in waves) + " ms",
        None,
        "waves as expected",
        worst < 10 and not run["errors"],
        f"{streams} simultaneous streams, {events} events each; worst wave off by {worst:.1f} ms",
        {"waves": waves, "ttfts": ttfts},
    )


# --- 7. peak memory -------------------------------------------------------------------------------


PEAK_MEMORY_TARGET_MIB = 60


def row_memory(memory: dict[str, Any]) -> Row:
    idle, load = memory.get("idle_kib"), memory.get("load_kib")
    if not idle or not load:
        raise RuntimeError("the timing row did not run, so there is no 1,000-stream load")
    return Row(
        "7 peak memory (VmHWM)",
        f"{load / 1024:.0f} MiB under 1,000 streams",
        f"{idle / 1024:.0f} MiB after start",
        None,
        f"<= {PEAK_MEMORY_TARGET_MIB} MiB",
        load / 1024 <= PEAK_MEMORY_TARGET_MIB,
        "the fake vLLM's /proc VmHWM; the request log keeps up to 1,000 exchanges",
        {"idle_kib": idle, "load_kib": load},
    )


# --- 6. replay vs vcrpy ---------------------------------------------------------------------------


def _sse_body(chunks: int) -> bytes:
    parts = []
    for i in range(chunks):
        payload = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "fake-model",
            "choices": [{"index": 0, "delta": {"content": f" w{i}"}, "finish_reason": None}],
        }
        parts.append(b"data: " + orjson.dumps(payload) + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def row_replay(tmp: Path, args: argparse.Namespace) -> Row:
    try:
        vcr = importlib.import_module("vcr")
    except ImportError:
        raise RuntimeError("vcrpy is not installed (pip install -e '.[bench]')") from None
    from fakes.record import convert, replaying, save

    chunks = 2000
    base = "http://llm.test"
    body = _sse_body(chunks)
    request_body = orjson.dumps(STREAM).decode()
    cassette = {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": base + "/v1/chat/completions",
                    "body": request_body,
                    "headers": {"content-type": ["application/json"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": ["text/event-stream; charset=utf-8"]},
                    "body": {"string": body.decode()},
                },
            }
        ],
    }
    vcr_path = tmp / "long.yaml"
    vcr_path.write_text(yaml.safe_dump(cassette))
    ours_path = tmp / "long.jsonl"
    header, items = convert(vcr_path)
    save(ours_path, header, items)
    assert len(items[0].chunks) == chunks + 1

    async def consume(client: httpx.AsyncClient) -> bytes:
        async with client.stream(
            "POST",
            base + "/v1/chat/completions",
            content=request_body,
            headers={"content-type": "application/json"},
        ) as response:
            return b"".join([piece async for piece in response.aiter_bytes()])

    def ours(client: httpx.AsyncClient) -> Any:
        return _within(replaying(ours_path, base_url=base), client)

    def theirs(client: httpx.AsyncClient) -> Any:
        return _within(vcr.use_cassette(str(vcr_path), record_mode="none"), client)

    async def _within(context: Any, client: httpx.AsyncClient) -> bytes:
        with context:
            return await consume(client)

    async def timed_async(once: Callable[[httpx.AsyncClient], Any], n: int) -> list[float]:
        # one client for all replays: its TLS context costs ~15 ms to build, which is
        # neither library's doing
        async with httpx.AsyncClient() as client:
            got = await once(client)
            assert got == body, "replayed bytes differ from the cassette"
            times = []
            for _ in range(n):
                started = time.perf_counter()
                await once(client)
                times.append(time.perf_counter() - started)
            return times

    def timed(once: Callable[[httpx.AsyncClient], Any], n: int) -> list[float]:
        return asyncio.run(timed_async(once, n))

    n = 20
    mine, vcrs = timed(ours, n), timed(theirs, n)
    ratio = median(vcrs) / median(mine)
    return Row(
        "6 replay vs vcrpy",
        f"{median(mine) * 1000:.1f} ms/replay",
        f"vcrpy {median(vcrs) * 1000:.1f} ms/replay",
        ratio,
        "(faster is better; ratio = vcrpy/ours)",
        None,
        f"{chunks}-chunk SSE cassette, one httpx async client, load + replay + read all, "
        f"median of {n}; ours streams chunk by chunk, vcrpy returns one buffered body",
        {"ours": mine, "vcrpy": vcrs, "chunks": chunks},
    )


# --- 5. contract matrix ---------------------------------------------------------------------------


def _wall(argv: list[str], timeout: float = 300) -> float:
    started = time.monotonic()
    subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=timeout, check=True)
    return time.monotonic() - started


def row_matrix(tmp: Path, args: argparse.Namespace) -> list[Row]:
    cli = shutil.which("llm-fakes", path=str(Path(PYTHON).parent)) or "llm-fakes"
    matrix = [_wall([cli, "matrix", "--out", str(tmp / "matrix")]) for _ in range(3)]
    pytest = [
        PYTHON,
        "-m",
        "pytest",
        "tests/contracts/test_contracts.py",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    serial = _wall(pytest)
    parallel = _wall([*pytest, "-n", "2"])
    return [
        Row(
            "5 matrix (llm-fakes matrix)",
            f"{median(matrix):.1f} s",
            "",
            None,
            "(report)",
            None,
            "reference drivers x every backend x every scenario, in-process, median of 3",
            {"runs": matrix},
        ),
        Row(
            "5 contract tests: serial vs -n 2",
            f"-n 2: {parallel:.1f} s",
            f"serial: {serial:.1f} s",
            serial / parallel,
            "(speed-up)",
            None,
            "pytest tests/contracts/test_contracts.py wall time incl. start-up",
            {"serial": serial, "xdist2": parallel},
        ),
    ]


# --- 8. workers -----------------------------------------------------------------------------------


def row_workers(tmp: Path, args: argparse.Namespace) -> Row:
    body = orjson.dumps(CHAT)
    rates: dict[int, list[float]] = {}
    for workers in (1, 2):
        port = free_port()
        with server(fake_vllm_argv(port, "--workers", str(workers)), port) as fake:
            _wrk.run(fake.url + "/v1/chat/completions", body, connections=32, seconds=1)
            rates[workers] = []
            for _ in range(args.reps):
                result = _wrk.run(
                    fake.url + "/v1/chat/completions",
                    body,
                    connections=64,
                    seconds=args.seconds,
                    threads=1,
                )
                if result.non_2xx or result.socket_errors:
                    raise RuntimeError(f"wrk saw errors: {result}")
                rates[workers].append(result.rps)
    ratio = median(rates[2]) / median(rates[1])
    return Row(
        "8 --workers 2 vs 1 (req/s)",
        f"{median(rates[2]):,.0f} req/s",
        f"{median(rates[1]):,.0f} req/s",
        ratio,
        "(report)",
        None,
        "non-streaming, wrk -t1 -c64; on 2 cores wrk itself needs one of them",
        {"1": rates[1], "2": rates[2]},
    )


# --- 9. LiteLLM (hook) ----------------------------------------------------------------------------


LITELLM_CONFIG = """model_list:
  - model_name: fake-model
    litellm_params:
      model: hosted_vllm/fake-model
      api_base: http://127.0.0.1:{port}/v1
general_settings:
  master_key: {key}  # recent releases refuse to start without a strong one
"""
LITELLM_KEY = "sk-llmfakes-bench-Str0ng-Key-8431"


def row_litellm(tmp: Path, args: argparse.Namespace) -> list[Row]:
    """Row 9: the fake LiteLLM against the real LiteLLM proxy, all in front of the same fake
    vLLM (issue #15: >= 30x its throughput), taken in turns under the same wrk load: the fake
    in its own process, and the one-process stack (`serve stack`: the fake vLLM and the fake
    LiteLLM in one process; its vLLM is the one all three call). Server CPU per request is
    reported beside req/s. The real proxy comes from `make conformance`
    (``.venv-reference-VERSION``)."""
    from packaging.version import Version

    references = sorted(
        ROOT.glob(".venv-reference-*/bin/litellm"),
        key=lambda p: Version(p.parent.parent.name.removeprefix(".venv-reference-")),
        reverse=True,
    )  # the newest installed release
    if not references:
        reason = "no reference LiteLLM proxy: run `make conformance` once to install it"
        print(f"row 9 skipped: {reason}")
        return [Row("9 fake LiteLLM vs LiteLLM proxy", "skipped", notes=reason)]
    reference = references[0]
    version = reference.parent.parent.name.removeprefix(".venv-reference-")
    vllm_port, stack_port, fake_port, real_port = (free_port() for _ in range(4))
    config = tmp / "litellm.yaml"
    config.write_text(LITELLM_CONFIG.format(port=vllm_port, key=LITELLM_KEY))
    auth = {"Authorization": f"Bearer {LITELLM_KEY}"}
    body = orjson.dumps(CHAT)
    fake_argv = [PYTHON, "-m", "fakes", "serve", "litellm", "--config", str(config)]
    fake_argv += ["--version", version, "--host", HOST, "--port", str(fake_port)]
    stack_argv = [PYTHON, "-m", "fakes", "serve", "stack", "--host", HOST, "--master-key"]
    stack_argv += [LITELLM_KEY, "--litellm-version", version, "--upstream-port", str(vllm_port)]
    stack_argv += ["--litellm-port", str(stack_port)]
    real_argv = [str(reference), "--config", str(config), "--host", HOST, "--port", str(real_port)]
    real_env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    ready = "/health/liveliness"
    fake_starts: list[float] = []
    with server(stack_argv, stack_port, ready_path=ready) as stack:
        for _ in range(2):
            with server(fake_argv, fake_port, ready_path=ready) as fake:
                fake_starts.append(fake.ready)
        with (
            server(fake_argv, fake_port, ready_path=ready) as fake,
            server(real_argv, real_port, ready_path=ready, env=real_env, timeout=180) as real,
        ):
            fake_starts.append(fake.ready)
            cpu: list[list[float]] = []
            fakes, stacks, reals = _alternating(  # a longer warm-up: the real proxy's first calls
                [  # are slow
                    fake.url + "/v1/chat/completions",
                    stack.url + "/v1/chat/completions",
                    real.url + "/v1/chat/completions",
                ],
                body,
                connections=16,
                reps=args.reps,
                seconds=args.seconds,
                warmup=2,
                headers=auth,
                pids=[fake.process.pid, stack.process.pid, real.process.pid],
                cpu_out=cpu,
            )
            real_start = real.ready
    if not median(reals):
        raise RuntimeError(f"the real proxy answered no request ({reals} req/s)")
    speed = median(fakes) / median(reals)
    stacked = median(stacks) / median(reals)
    start = real_start / median(fake_starts)
    fake_cpu, stack_cpu, real_cpu = (median(values) for values in cpu)
    load = f"wrk -t1 -c16 POST non-streaming chat, {args.reps}x{args.seconds}s in turns"
    rates = {"fake": fakes, "stack": stacks, "real": reals}
    data: dict[str, Any] = {**rates, "cpu_us_per_request": dict(zip(rates, cpu, strict=True))}
    return [
        Row(
            "9 LiteLLM req/s, fake vs real",
            f"{median(fakes):,.0f} req/s",
            f"real {version}: {median(reals):,.0f} req/s",
            speed,
            ">= 30x",
            speed >= 30,
            f"both in front of the same fake vLLM, {load}; server CPU per request: fake "
            f"{fake_cpu:,.0f} us, real {real_cpu:,.0f} us ({real_cpu / fake_cpu:.1f}x)",
            data,
        ),
        Row(
            "9 LiteLLM req/s, one-process stack vs real",
            f"{median(stacks):,.0f} req/s",
            f"real {version}: {median(reals):,.0f} req/s",
            stacked,
            ">= 30x",
            stacked >= 30,
            f"`serve stack` (its fake vLLM is the one the real proxy calls), {load}; CPU per "
            f"request of the whole stack (LiteLLM and vLLM) {stack_cpu:,.0f} us",
        ),
        Row(
            "9 LiteLLM start-up, fake vs real",
            f"{median(fake_starts) * 1000:.0f} ms",
            f"real {version}: {real_start * 1000:.0f} ms",
            start,
            ">= 20x faster",
            start >= 20,
            "spawn to the first 200 of /health/liveliness",
            {"fake": fake_starts, "real": real_start},
        ),
    ]


# --- 13. the fake LiteLLM's chat dispatch -----------------------------------------------------


def row_litellm_dispatch(tmp: Path, args: argparse.Namespace) -> list[Row]:
    """Row 13: the fake LiteLLM's chat route with its raw ASGI dispatch against the same fake
    with ``--no-fast-path`` (starlette's router and middleware), both in front of one fake
    vLLM, plain (wrk -c16) and streamed (wrk -c64, the default 12-word reply), alternating;
    server CPU per request beside req/s. Needs no reference proxy."""
    vllm_port, fast_port, ref_port = free_port(), free_port(), free_port()
    config = tmp / "litellm-dispatch.yaml"
    config.write_text(LITELLM_CONFIG.format(port=vllm_port, key=LITELLM_KEY))
    auth = {"Authorization": f"Bearer {LITELLM_KEY}"}
    argv = [PYTHON, "-m", "fakes", "serve", "litellm", "--config", str(config), "--host", HOST]
    ready = "/health/liveliness"
    rows = []
    with (
        server(fake_vllm_argv(vllm_port), vllm_port),
        server([*argv, "--port", str(fast_port)], fast_port, ready_path=ready) as fast,
        server(
            [*argv, "--port", str(ref_port), "--no-fast-path"], ref_port, ready_path=ready
        ) as ref,
    ):
        for stream in (False, True):
            request = STREAM if stream else CHAT
            cpu: list[list[float]] = []
            fasts, refs = _alternating(
                [fast.url + "/v1/chat/completions", ref.url + "/v1/chat/completions"],
                orjson.dumps(request),
                connections=64 if stream else 16,
                reps=args.reps,
                seconds=args.seconds,
                headers=auth,
                pids=[fast.process.pid, ref.process.pid],
                cpu_out=cpu,
            )
            ratio = median(fasts) / median(refs)
            fast_cpu, ref_cpu = (median(values) for values in cpu)
            kind = "streamed" if stream else "plain"
            rows.append(
                Row(
                    f"13 fake LiteLLM chat dispatch, {kind} req/s",
                    f"{median(fasts):,.0f} req/s",
                    f"--no-fast-path {median(refs):,.0f} req/s",
                    ratio,
                    "(report)",
                    None,
                    f"server CPU per request {fast_cpu:,.0f} us against {ref_cpu:,.0f} us "
                    f"({ref_cpu / fast_cpu:.2f}x less); {args.reps}x{args.seconds}s in turns",
                    {"fast": fasts, "reference_path": refs, "cpu_us_per_request": cpu},
                )
            )
    return rows


# --- table ----------------------------------------------------------------------------------------


# --- 10. peers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _beside_peers(
    fake_extra: tuple[str, ...], probe: dict[str, Any], rows: list[Row], row: str
) -> Iterator[list[tuple[str, str, peers.Peer | None]]]:
    """The fake and every peer that installs and answers ``probe``, each on its own port;
    a peer that fails adds a row saying why. Yields (name, url, peer) with the fake first."""
    with contextlib.ExitStack() as stack:
        fake_port = free_port()
        fake = stack.enter_context(server(fake_vllm_argv(fake_port, *fake_extra), fake_port))
        started: list[tuple[str, str, peers.Peer | None]] = [
            ("fake vLLM (fast path)", fake.url, None)
        ]
        for make in peers.PEERS:
            try:
                peer = make()
                port = free_port()
                served = stack.enter_context(
                    server(peer.argv(port), port, env=peer.env(port), timeout=60)
                )
                if probe.get("stream"):
                    peer.stream_text(served.url, probe["messages"][-1]["content"])
                _post(served.url, probe)
            except Exception as exc:
                name = getattr(make, "__name__", "peer")
                failure = f"{type(exc).__name__}: {exc}"[:120]
                rows.append(Row(f"{row} peer {name} (failed)", failure))
                continue
            started.append((peer.name, served.url, peer))
        yield started


def _versus_peers(
    row: str, unit: str, names: list[str], figures: list[list[float]], how: str, said: list[str]
) -> list[Row]:
    """A row per peer and one against the best, from figures taken in the same run (the
    fake's first); ``said`` adds to each server's figure (the fake's first)."""
    ours = median(figures[0])
    rows = [
        Row(
            f"{row} peer {name} {unit}",
            f"{median(measured):,.0f} {unit}{extra}",
            f"fake {ours:,.0f} {unit}{said[0]}",
            ours / median(measured),
            "fake >= 2.5x the best peer",
            None,
            f"{how}, {names[0]} and the peers taken in turns; ratio = fake / peer",
            {"peer": measured, "fake": figures[0]},
        )
        for name, measured, extra in zip(names[1:], figures[1:], said[1:], strict=True)
    ]
    if len(figures) > 1:
        best = max(median(f) for f in figures[1:])
        rows.append(
            Row(
                f"{row} fake vs the best peer",
                f"{ours:,.0f} {unit}",
                f"{best:,.0f} {unit}",
                ours / best,
                ">= 2.5x",
                ours / best >= 2.5,
                "same run, same load",
            )
        )
    return rows


def row_peers(tmp: Path, args: argparse.Namespace) -> list[Row]:
    """The fake beside the best peers under the same wrk load, taken in turns (each answers
    its own default reply to the same request); a peer that fails is a row saying why."""
    rows: list[Row] = []
    with _beside_peers((), CHAT, rows, "10") as started:
        rates = _alternating(
            [url + "/v1/chat/completions" for _, url, _ in started],
            orjson.dumps(CHAT),
            connections=32,
            reps=args.reps,
            seconds=args.seconds,
        )
    names = [name for name, _, _ in started]
    how = f"non-streaming chat, wrk -c32, {args.reps}x{args.seconds}s"
    return rows + _versus_peers("10", "req/s", names, rates, how, [""] * len(names))


def row_peer_streams(tmp: Path, args: argparse.Namespace) -> list[Row]:
    """Streaming beside the peers: every server streams the same 199-word answer (the fake
    from a script, mock-llm by echoing it, llmock from a scripted reply), one word-sized
    chunk per event with no pause, to 64 concurrent streams; chunks/s = streams/s x events."""
    rows: list[Row] = []
    script = _script(tmp, 199)
    text = yaml.safe_load(script.read_text())["rules"][0]["reply"]["text"]
    body = {"model": "fake-model", "messages": [{"role": "user", "content": text}], "stream": True}
    # wrk counts finished streams only: a slow peer's 64 streams may take seconds each
    seconds = max(args.seconds, 5)
    with _beside_peers(("--script", str(script)), body, rows, "12") as started:
        events = [_post(url, body).count(b"\n\n") for _, url, _ in started]
        rates = _alternating(
            [url + "/v1/chat/completions" for _, url, _ in started],
            orjson.dumps(body),
            connections=64,
            reps=args.reps,
            seconds=seconds,
        )
    chunks = [
        [rps * count for rps in measured] for measured, count in zip(rates, events, strict=True)
    ]
    if any(median(c) == 0 for c in chunks):
        raise RuntimeError(f"a server finished no stream in {seconds} s: {chunks}")
    names = [name for name, _, _ in started]
    how = f"64 concurrent streams, wrk -c64, {args.reps}x{seconds}s"
    said = [f" ({count} events a stream)" for count in events]
    return rows + _versus_peers("12", "chunks/s", names, chunks, how, said)


def render(rows: list[Row], elapsed: float) -> str:
    head = ("row", "fake", "floor / baseline", "ratio", "target", "met")
    table = [head]
    for row in rows:
        met = {True: "yes", False: "NO", None: "-"}[row.met]
        ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
        table.append((row.name, row.measured, row.floor, ratio, row.target, met))
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.append("")
    lines.extend(f"{row.name}: {row.notes}" for row in rows if row.notes)
    lines.append(f"total {elapsed:.0f} s")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated row numbers, e.g. 1,2")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    if _wrk.available() is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (make bench tries this)")
    wanted = set(args.only.split(",")) if args.only else None
    if wanted is not None and "7" in wanted:
        wanted.add("3")  # the memory row reads the peak left by row 3's 1,000 streams
    started = time.monotonic()
    load_before = os.getloadavg()
    rows: list[Row] = []
    failures: dict[str, str] = {}
    memory: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], Row | list[Row] | None]]] = [
        ("1", lambda: row_rps(tmp, args)),
        ("2", lambda: row_stream(tmp, args)),
        ("4", lambda: row_startup(tmp, args)),
        ("3", lambda: row_timing(tmp, args, memory)),
        ("7", lambda: row_memory(memory)),
        ("6", lambda: row_replay(tmp, args)),
        ("5", lambda: row_matrix(tmp, args)),
        ("8", lambda: row_workers(tmp, args)),
        ("9", lambda: row_litellm(tmp, args)),
        ("10", lambda: row_peers(tmp, args)),
        ("11", lambda: row_responses(tmp, args)),
        ("12", lambda: row_peer_streams(tmp, args)),
        ("13", lambda: row_litellm_dispatch(tmp, args)),
    ]
    with tempfile.TemporaryDirectory(prefix="llm-fakes-bench-") as name:
        tmp = Path(name)
        try:
            for key, step in steps:
                if wanted is not None and key not in wanted:
                    continue
                print(f"row {key} ...", flush=True)
                try:
                    got = step()
                except Exception as exc:
                    failures[key] = f"{type(exc).__name__}: {exc}"
                    traceback.print_exc()
                    rows.append(Row(f"{key} (failed)", failures[key][:80]))
                    continue
                if got is not None:
                    rows.extend(got if isinstance(got, list) else [got])
        finally:
            _procs.stop_all()
    elapsed = time.monotonic() - started
    load = (load_before, os.getloadavg())
    print(render(rows, elapsed))
    print(
        f"load average (1 min) {load[0][0]:.1f} before, {load[1][0]:.1f} after, on {_cpus()} "
        "CPUs: other work on the machine shows up in every row",
        flush=True,
    )
    args.out.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "cpus": _cpus(),
                    "platform": platform.platform(),
                },
                "elapsed_s": elapsed,
                "load_average": load,
                "rows": [asdict(r) for r in rows],
                "failures": failures,
            },
            indent=2,
        )
    )
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"wrote {shown}")


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()

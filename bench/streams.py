"""A separate-process stream client for timing fidelity: plain TCP streams on uvloop, no HTTP
library and no parsing beyond counting SSE event ends, so the client stays cheap per chunk.

``python -m bench.streams --port P --streams N --body JSON --out FILE [--spread S]
[--rounds R]`` writes one JSON object: per-stream TTFT and inter-event gaps, errors, and
the client's own event-loop lag and CPU time (evidence that the client is not the
bottleneck).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from pathlib import Path
from typing import Any

import orjson

HOST = "127.0.0.1"


async def one_stream(port: int, request: bytes, timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            import socket

            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = time.perf_counter()
        writer.write(request)
        arrivals: list[float] = []
        tail = b""
        head_done = False
        status = 0
        deadline = sent + timeout
        buffer = b""
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("stream did not finish in time")
            data = await asyncio.wait_for(reader.read(65536), left)
            now = time.perf_counter()
            if not data:
                break
            if not head_done:
                buffer += data
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    continue
                status = int(buffer[9:12])
                head_done = True
                data = buffer[end + 4 :]
            seen = (tail + data).count(b"\n\n")
            arrivals.extend([now] * seen)
            tail = data[-1:] if data else tail
        return {
            "status": status,
            "connect": sent - started,
            "ttft": arrivals[0] - sent if arrivals else None,
            "offsets": [t - sent for t in arrivals],
        }
    finally:
        writer.close()


async def lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - before - 0.001)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    body = args.body.encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {HOST}:{args.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    results: list[dict[str, Any]] = []
    errors: list[str] = []

    async def slot(index: int) -> None:
        # every task exists (and the client is idle) before the first request goes out
        await asyncio.sleep(0.05 + args.spread * index / max(args.streams, 1))
        for _ in range(args.rounds):
            try:
                results.append(await one_stream(args.port, request, args.timeout))
            except Exception as exc:  # every failure is counted, none hides
                errors.append(f"{type(exc).__name__}: {exc}")

    stop = asyncio.Event()
    lags: list[float] = []
    probe = asyncio.create_task(lag_probe(stop, lags))
    cpu = time.process_time()
    wall = time.perf_counter()
    await asyncio.gather(*(slot(i) for i in range(args.streams)))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    stop.set()
    await probe
    lags.sort()
    return {
        "streams": args.streams,
        "results": results,
        "errors": errors,
        "bad_status": sum(1 for r in results if r["status"] != 200),
        "client_wall": wall,
        "client_cpu": cpu,
        "client_lag_p50": lags[len(lags) // 2] if lags else None,
        "client_lag_p99": lags[int(len(lags) * 0.99)] if lags else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds to stagger starts")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--body", required=True)
    parser.add_argument("--out", type=Path, required=True, help="where the JSON result goes")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    args.out.write_bytes(orjson.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()

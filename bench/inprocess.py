"""``python -m bench.inprocess [--route chat|completions|responses] [--stream] [--no-fast-path]
[--profile] [--table]``: what one request costs inside the app, without sockets: the ASGI app
is called directly, N times, and the mean microseconds per request printed (optionally a
pyinstrument profile of the same loop). ``--table``: every route, plain and streamed, on the
fast and the reference path, as a markdown table of CPU microseconds per request."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson

from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app

DONE = b"data: [DONE]\n\n"
CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "chat": ("/v1/chat/completions", CHAT),
    "completions": ("/v1/completions", {"model": "fake-model", "prompt": "hi"}),
    "responses": ("/v1/responses", {"model": "fake-model", "input": "hi"}),
}


def _scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }


async def _loop(app: Any, path: str, body: bytes, n: int, events: list[int] | None = None) -> None:
    scope = _scope(path)
    scope["headers"].append((b"content-length", str(len(body)).encode()))
    sink: list[Any] = []

    async def send(message: Any) -> None:
        sink.append(message)

    for _ in range(n):
        sent = False

        async def receive() -> Any:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # never: the app stops reading at the body's end
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, receive, send)
        if events is not None:
            events.append(
                sum(
                    m["type"] == "http.response.body" and m["body"] not in (b"", DONE) for m in sink
                )
            )
            if sink[0]["status"] != 200:
                raise RuntimeError(f"{path} answered {sink[0]['status']}")
        sink.clear()


def _app(fast: bool) -> Any:
    profile, version = resolve_vllm_profile(None, None)
    return create_vllm_app(VllmConfig(profile=profile, version=version, fast_path=fast))


def measure(route: str, stream: bool, fast: bool, n: int) -> tuple[float, int]:
    """Mean CPU microseconds per request (this process's CPU time: other work on a shared
    machine slows the loop down but hardly changes it), and the events of one answer."""
    path, plain = ROUTES[route]
    app = _app(fast)
    body = orjson.dumps({**plain, "stream": True} if stream else plain)
    events: list[int] = []
    asyncio.run(_loop(app, path, body, 500, events))  # warm up, and check the answer
    started = time.process_time()
    asyncio.run(_loop(app, path, body, n))
    return (time.process_time() - started) / n * 1e6, events[0]


def table(n: int) -> str:
    lines = [
        "| route | answer | fast path, CPU µs | reference path, CPU µs | fast / reference |",
        "|---|---|---|---|---|",
    ]
    for route in ROUTES:
        for stream in (False, True):
            fast, messages = measure(route, stream, True, n)
            reference, _ = measure(route, stream, False, n)
            answer = f"stream, {messages} events" if stream else "plain"
            lines.append(
                f"| {route} | {answer} | {fast:,.1f} | {reference:,.1f} | "
                f"{reference / fast:.1f}x less |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--route", choices=sorted(ROUTES), default="chat")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--profile", action="store_true", help="a pyinstrument profile")
    parser.add_argument("--no-fast-path", action="store_true")
    parser.add_argument("--table", action="store_true", help="every route, both paths")
    args = parser.parse_args()
    if args.table:
        print(table(args.n))
        return
    path, plain = ROUTES[args.route]
    app = _app(not args.no_fast_path)
    body = orjson.dumps({**plain, "stream": True} if args.stream else plain)
    asyncio.run(_loop(app, path, body, 500))  # warm up
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001, async_mode="disabled")
        profiler.start()
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(_loop(app, path, body, args.n))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if args.profile:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    # CPU time too: on a busy machine the wall clock also counts other processes' turns
    print(
        f"{elapsed / args.n * 1e6:.1f} us per request, {cpu / args.n * 1e6:.1f} us of CPU "
        f"({args.n} requests, in process)"
    )


if __name__ == "__main__":
    main()

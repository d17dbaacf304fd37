"""``python -m bench.inprocess [--profile] [--stream] [--no-fast-path]``: what one request
costs inside the app, without sockets: the ASGI app is called directly, N times, and the
mean microseconds per request printed (optionally a pyinstrument profile of the same loop)."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson

from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}


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


async def _loop(app: Any, body: bytes, n: int) -> None:
    scope = _scope("/v1/chat/completions")
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
        sink.clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--profile", action="store_true", help="a pyinstrument profile")
    parser.add_argument("--no-fast-path", action="store_true")
    args = parser.parse_args()
    profile, version = resolve_vllm_profile(None, None)
    config = VllmConfig(profile=profile, version=version, fast_path=not args.no_fast_path)
    app = create_vllm_app(config)
    body = orjson.dumps({**CHAT, "stream": True} if args.stream else CHAT)
    asyncio.run(_loop(app, body, 500))  # warm up
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001, async_mode="disabled")
        profiler.start()
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(_loop(app, body, args.n))
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

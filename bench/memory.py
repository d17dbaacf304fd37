"""``python -m bench.memory [--streams N] [--top K] [--no-fast-path] [--plain ROUTE]``: what
each open stream holds in the fake vLLM, in counts that do not depend on the machine's load. N
streamed chat requests of row 3's script (``--ttft 0.05 --itl 0.01``, 20 words: the fast path
paces them, as it does row 7's load; ``--no-fast-path``: the reference path) are called on the
ASGI app in process, all open at once; tracemalloc gives the Python heap per stream at that
moment and after they ended (what the request log keeps), and the K largest allocation sites per
stream.

``--plain chat|responses``: instead, what the request log keeps of each of N plain answers (row
1's and row 11's request, each one's headers, path and body new objects, as a server's are):
bytes and allocations an entry. A full log of 1,000 entries that outgrows the CPU's cache costs
the server a cache miss per object it keeps (rows 1 and 11)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml

from fakes.vllm import create_vllm_app
from fakes.vllm.options import VllmOptions

TEXT = " ".join(("lorem ipsum dolor sit amet consectetur adipiscing elit " * 3).split()[:20])
BODY = orjson.dumps(
    {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": True}
)
PATH = "/v1/chat/completions"


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }


async def _stream(app: Any, opened: Callable[[], None]) -> None:
    """One request; ``opened`` when its first event is sent; the client stays until the end."""
    asked = False
    ended = asyncio.Event()
    events = 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await ended.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal events
        if message["type"] == "http.response.body" and message.get("body"):
            events += 1
            if events == 1:
                opened()

    await app(_scope(), receive, send)
    ended.set()


PLAIN = {
    "chat": (PATH, {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}),
    "responses": ("/v1/responses", {"model": "fake-model", "input": "hi"}),
}


async def _plain(app: Any, path: str, body: bytes) -> None:
    """One plain request whose scope and body are new objects, as a server makes them."""
    scope = {
        **_scope(),
        "method": "".join(["PO", "ST"]),  # new strings, not the interned ones
        "path": "".join(list(path)),
        "headers": [
            (bytes(bytearray(name)), bytes(bytearray(value)))
            for name, value in (
                (b"host", b"127.0.0.1:8000"),
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            )
        ],
    }
    fresh = bytes(bytearray(body))
    status = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": fresh, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    if status != [200]:
        raise RuntimeError(f"{path} answered {status}")


async def measure_plain(route: str, answers: int, top: int, *, fast_path: bool = True) -> str:
    path, request = PLAIN[route]
    body = orjson.dumps(request)
    app = create_vllm_app(VllmOptions(no_fast_path=not fast_path, log_limit=answers).config())
    for _ in range(answers):  # first-use paths, and a full log: what a long run keeps
        await _plain(app, path, body)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(answers):  # each entry pushes out one of the same kind
        await _plain(app, path, body)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = [stat for stat in after.statistics("filename") if stat.count]
    size = sum(stat.size for stat in kept)
    count = sum(stat.count for stat in kept)
    return (
        f"{answers} plain {route} answers logged ({path}, a full log): "
        f"{size / answers:,.0f} B in {count / answers:.1f} allocations an entry\n"
        f"largest sites an entry:\n" + _sites(after, before, answers, top)
    )


def _sites(after: tracemalloc.Snapshot, before: tracemalloc.Snapshot, n: int, top: int) -> str:
    lines = []
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        lines.append(f"  {stat.size_diff / n:7.0f} B {stat.count_diff / n:5.1f} objects  {where}")
    return "\n".join(lines)


async def measure(streams: int, top: int, *, fast_path: bool = True) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "script.yaml"
        script.write_text(yaml.safe_dump({"rules": [{"reply": {"text": TEXT}}]}))
        options = VllmOptions(
            ttft=0.05,
            itl=0.01,
            script_path=str(script),
            max_num_seqs=2000,
            no_fast_path=not fast_path,
        )
        app = create_vllm_app(options.config())
    await asyncio.gather(*(_stream(app, lambda: None) for _ in range(20)))  # first-use paths
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    all_open = asyncio.Event()
    count = 0

    def opened() -> None:
        nonlocal count
        count += 1
        if count == streams:
            all_open.set()

    tasks = [asyncio.create_task(_stream(app, opened)) for _ in range(streams)]
    await all_open.wait()
    at_peak = tracemalloc.take_snapshot()
    held, _ = tracemalloc.get_traced_memory()
    await asyncio.gather(*tasks)
    gc.collect()
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (
        f"{streams} streams open at once: {held / streams:,.0f} B of Python heap per stream; "
        f"after they ended: {kept / streams:,.0f} B per stream (the request log)\n"
        f"largest sites per open stream (this tool's own client included):\n"
        + _sites(at_peak, before, streams, top)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-fast-path", dest="fast_path", action="store_false")
    parser.add_argument("--plain", choices=sorted(PLAIN), help="a plain answer's log entry")
    args = parser.parse_args()
    if args.plain:
        result = measure_plain(args.plain, args.streams, args.top, fast_path=args.fast_path)
    else:
        result = measure(args.streams, args.top, fast_path=args.fast_path)
    print(asyncio.run(result))


if __name__ == "__main__":
    main()

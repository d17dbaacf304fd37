"""``python -m bench.memory [--streams N] [--top K] [--no-fast-path]``: what each open stream
holds in the fake vLLM, in counts that do not depend on the machine's load. N streamed chat
requests of row 3's script (``--ttft 0.05 --itl 0.01``, 20 words: the fast path paces them, as
it does row 7's load; ``--no-fast-path``: the reference path) are called on the ASGI app in
process, all open at once; tracemalloc gives the Python heap per stream at that moment and
after they ended (what the request log keeps), and the K largest allocation sites per
stream."""

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
    args = parser.parse_args()
    print(asyncio.run(measure(args.streams, args.top, fast_path=args.fast_path)))


if __name__ == "__main__":
    main()

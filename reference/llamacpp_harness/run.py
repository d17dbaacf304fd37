"""Send the same requests to llama.cpp's own llama-server and to the fake; diff by JSON path.

The real server is a CPU build of one llama.cpp tree serving a tiny random GGUF
(tiny_model.py) greedily; the fake answers, exchange by exchange, with what the real model
said (its text, tool calls, finish reason), so every other value is compared::

    python -m reference.llamacpp_harness.run --server PATH/llama-server --model tiny.gguf \\
        --build 11434 [--record]

Prints every difference and "N/N exchanges identical"; ``--record`` writes the real side as
recordings/llamacpp/llamacpp-bBUILD.jsonl, which tests/reference/test_llamacpp_cassettes.py
replays against the fake in ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from fakes.record import Chunk, Header, Interaction, Redactor, save
from reference._process import stop
from reference.llamacpp_harness._cases import KEY, MODEL, Case, cases
from reference.llamacpp_harness._normalize import differences
from reference.llamacpp_harness._setup import fake_app, said

START_TIMEOUT = 120.0
KEPT_HEADERS = ("content-type",)
RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "llamacpp"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def real_server(binary: str, model: str, log: Path) -> AsyncIterator[str]:
    port = _free_port()
    command = [
        binary, "-m", model, "-a", MODEL, "--host", "127.0.0.1", "--port", str(port),
        "-c", "512", "-np", "1", "-t", "1", "--api-key", KEY, "--temp", "0", "--seed", "1",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=5) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"llama-server exited; see {log}")
                try:
                    if (await client.get(url + "/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"llama-server did not start in {START_TIMEOUT:.0f} s")
                await asyncio.sleep(0.5)  # polling a child's start-up, not synchronizing a test
        yield url
    finally:
        stop(process)


def _body(case: Case) -> bytes:
    import json

    if case.body is None:
        return b""
    return case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()


async def send(client: httpx.AsyncClient, case: Case) -> Interaction:
    started = time.monotonic()
    body = _body(case)
    request = client.build_request(case.method, case.path, content=body, headers=case.headers())
    response = await client.send(request, stream=True)
    chunks = []
    complete = True
    try:
        async for data in response.aiter_raw():
            chunks.append(Chunk(time.monotonic() - started, data))
    except httpx.RemoteProtocolError:
        complete = False
    finally:
        await response.aclose()
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    return Interaction(
        case.method, case.path, "", case.headers(), body, response.status_code, headers,
        tuple(chunks), complete,
    )  # fmt: skip


def streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


async def against_fake(build: int, real: Interaction) -> Interaction:
    app = fake_app(build, said(real.body, streamed=streamed(real)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        request = client.build_request(
            real.method, real.path, content=real.request_body, headers=real.request_headers
        )
        response = await client.send(request)
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    chunk = Chunk(0.0, response.content)
    return Interaction(
        real.method, real.path, "", real.request_headers, real.request_body,
        response.status_code, headers, (chunk,),
    )  # fmt: skip


def compare(real: Interaction, fake: Interaction) -> list[str]:
    out = []
    if real.status != fake.status:
        out.append(f"status: real {real.status} vs fake {fake.status}")
    for name in KEPT_HEADERS:
        a, b = real.response_headers.get(name), fake.response_headers.get(name)
        if a != b:
            out.append(f"header {name}: real {a!r} vs fake {b!r}")
    return out + differences(real.body, fake.body, streamed=streamed(real))


def _stop_word(item: Interaction) -> str:
    import json

    content = str(json.loads(item.body)["choices"][0]["message"]["content"])
    words = content.split()
    return " " + words[min(2, len(words) - 1)]


async def run(binary: str, model: str, build: int, record: bool) -> int:
    log = Path(tempfile.mkdtemp(prefix="llamacpp-harness-")) / "llama-server.log"
    recorded: list[Interaction] = []
    same = 0
    async with (
        real_server(binary, model, log) as url,
        httpx.AsyncClient(base_url=url, timeout=120) as client,
    ):
        plain = next(case for case in cases(" alpha") if case.name == "chat plain")
        first = await send(client, plain)
        for case in cases(_stop_word(first)):
            real = await send(client, case)
            fake = await against_fake(build, real)
            found = compare(real, fake)
            recorded.append(real)
            same += not found
            print(f"{case.name}: {'identical' if not found else 'differs'}")
            for line in found:
                print(f"  {line}")
    print(f"{same}/{len(recorded)} exchanges identical (real log: {log})")
    if record:
        redactor = Redactor()
        out = RECORDINGS / f"llamacpp-b{build}.jsonl"
        header = Header(
            upstream=f"llama.cpp b{build} llama-server (CPU build, tiny random GGUF, greedy)",
            redacted=redactor.describe(),
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        save(out, header, [redactor.interaction(item) for item in recorded])
        print(f"recorded {len(recorded)} exchanges in {out.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference.llamacpp_harness.run")
    parser.add_argument("--server", required=True, help="a llama-server binary")
    parser.add_argument("--model", required=True, help="the GGUF tiny_model.py wrote")
    parser.add_argument("--build", required=True, type=int, help="its build number")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.server, args.model, args.build, args.record))


if __name__ == "__main__":
    sys.exit(main())

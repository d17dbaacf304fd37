"""Rude HTTP clients on raw loopback sockets: they leave mid-stream, read half an answer,
stall with a full receive buffer, hang up before the answer or in the middle of the body."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

KINDS = (
    "mid_stream",  # read the first event, then close
    "half_read",  # read a random number of bytes, then close
    "stall",  # tiny receive buffer, read nothing for a while, then close
    "before_answer",  # send the request and close at once
    "partial_body",  # announce a body and send only part of it, then close
    "reset",  # abortive close (RST) mid-stream
    "plain_leave",  # a non-streaming request, closed before the answer
    "complete",  # a well-behaved client that reads the whole stream (a control group)
)


@dataclass
class Storm:
    """What a run of rude clients did."""

    clients: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    completed_streams: int = 0
    errors: list[str] = field(default_factory=list)


def request_bytes(
    url: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> bytes:
    host = urlsplit(url).netloc
    data = orjson.dumps(body)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _connect(url: str, rcvbuf: int | None = None) -> tuple[Any, Any]:
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    return await asyncio.open_connection(sock=sock)


def _abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()


async def rude_client(
    kind: str,
    url: str,
    path: str,
    body: dict[str, Any],
    rng: random.Random,
    storm: Storm,
    headers: dict[str, str] | None = None,
) -> None:
    streaming = kind != "plain_leave"
    request = request_bytes(url, path, {**body, "stream": streaming}, headers)
    reader, writer = await _connect(url, rcvbuf=2048 if kind == "stall" else None)
    try:
        if kind == "partial_body":
            writer.write(request[: len(request) - rng.randint(1, 20)])
            await writer.drain()
            await asyncio.sleep(rng.uniform(0, 0.02))
            return
        writer.write(request)
        await writer.drain()
        if kind in ("before_answer", "plain_leave"):
            await asyncio.sleep(rng.uniform(0, 0.005))
            return
        if kind == "half_read":
            await reader.read(rng.randint(1, 400))
            return
        if kind == "stall":
            await reader.read(100)
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            return
        if kind in ("mid_stream", "reset"):
            await reader.readuntil(b"data: ")
            if kind == "reset":
                _abort(writer)
            return
        data = await reader.read()  # complete: read to the end
        if b"data: [DONE]" in data:
            storm.completed_streams += 1
        else:
            storm.errors.append(f"complete stream without [DONE]: {data[-200:]!r}")
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        if kind == "complete":
            storm.errors.append(f"{kind}: {exc!r}")
    finally:
        if not writer.transport.is_closing():
            await _close(writer)


async def storm(
    url: str,
    path: str,
    body: dict[str, Any],
    *,
    clients: int,
    concurrency: int,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    headers: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> Storm:
    """``clients`` rude clients, at most ``concurrency`` at a time, each bounded in time."""
    rng = random.Random(seed)
    result = Storm()
    gate = asyncio.Semaphore(concurrency)

    async def one(kind: str) -> None:
        async with gate:
            try:
                await asyncio.wait_for(
                    rude_client(kind, url, path, body, rng, result, headers), timeout
                )
            except TimeoutError:
                result.errors.append(f"{kind}: client hung for {timeout} s")
            result.clients += 1
            result.kinds[kind] += 1

    await asyncio.gather(*(one(rng.choice(kinds)) for _ in range(clients)))
    return result

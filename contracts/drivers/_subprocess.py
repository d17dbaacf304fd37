"""A driver in any language: one process per call, speaking JSON lines on stdin and stdout.

The protocol (version 1) is documented in docs/driver-protocol.md: one request line in, then
event lines, then one terminal line (``result``, ``error`` or ``crash``) out. With an
in-process target the fake is served on a loopback socket for the duration of the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shlex
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson
from pydantic import ValidationError

from contracts._collect import collect
from contracts._driver import ENDPOINT_OPTION, DriverSpec
from contracts._loopback import Loopback
from contracts._model import (
    ContractError,
    ErrorKind,
    Event,
    Request,
    Result,
    event_from_json,
)
from contracts._target import Target

PROTOCOL_VERSION = 1
CALL_TIMEOUT = 25.0  # below the runner's cell timeout, so a hang is reported with stderr
STDERR_LIMIT = 4000  # characters of stderr kept for a crash message (the tail)
LINE_LIMIT = 16 * 1024 * 1024


class DriverCrash(Exception):
    """The driver process failed in a way that is not a classified error."""


class SubprocessDriver:
    """Runs ``command`` once per call; see the module docstring for the protocol."""

    def __init__(
        self, target: Target, command: Sequence[str], *, timeout: float = CALL_TIMEOUT
    ) -> None:
        if not command:
            raise ValueError("empty driver command")
        self.command = list(command)
        self.timeout = timeout
        self._loopback = Loopback(target)

    async def complete(self, request: Request) -> Result:
        return await self._call("complete", request.model_copy(update={"stream": False}))

    def stream(self, request: Request) -> AsyncIterator[Event]:
        return self._events("stream", request.model_copy(update={"stream": True}))

    async def aclose(self) -> None:
        await self._loopback.aclose()

    async def _call(self, op: str, request: Request) -> Result:
        whole: list[Result] = []
        result = await collect(self._events(op, request, whole))
        return whole[0] if whole else result

    async def _events(
        self, op: str, request: Request, whole: list[Result] | None = None
    ) -> AsyncIterator[Event]:
        target = await self._loopback.target()
        line = orjson.dumps(
            {
                "v": PROTOCOL_VERSION,
                "op": op,
                "base_url": target.base_url,
                "model": target.model,
                "api_key": target.api_key,
                "timeout": target.timeout,
                "request": request.model_dump(mode="json", exclude_none=True),
            }
        )
        process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        assert process.stdin is not None and process.stdout is not None
        assert process.stderr is not None
        stderr = asyncio.ensure_future(_tail(process.stderr))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.write(line + b"\n")
                await process.stdin.drain()
                process.stdin.close()
            number = 0
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        raw = await process.stdout.readline()
                except TimeoutError:
                    raise DriverCrash(
                        f"driver command gave no result within {self.timeout:g} s (killed)"
                        + await _stderr(process, stderr)
                    ) from None
                except ValueError:  # a line over LINE_LIMIT
                    raise DriverCrash(
                        f"stdout line {number + 1} is longer than {LINE_LIMIT} bytes"
                    ) from None
                number += 1
                if not raw:
                    code = await _exit_code(process)
                    raise DriverCrash(
                        f"driver command exited with code {code} before its result line"
                        + await _stderr(process, stderr)
                    )
                if not raw.strip():
                    continue
                message = _message(raw, number)
                kind = message.get("type")
                if kind == "result":
                    if whole is not None and message.get("result") is not None:
                        whole.append(_result(message["result"]))
                    return
                if kind == "error":
                    raise _error(message)
                if kind == "crash":
                    raise DriverCrash(
                        str(message.get("message", "")) + await _stderr(process, stderr)
                    )
                try:
                    yield event_from_json(message)
                except (ValueError, ValidationError) as exc:
                    raise DriverCrash(f"stdout line {number}: {_short(exc)}") from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
            stderr.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stderr


def _message(raw: bytes, number: int) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        text = raw.decode("utf-8", "replace").strip()[:200]
        raise DriverCrash(
            f"stdout line {number} is not a protocol message (log to stderr): {text!r}"
        )
    return value


def _error(message: dict[str, Any]) -> ContractError | DriverCrash:
    status = message.get("status")
    try:
        kind = ErrorKind(str(message.get("kind")))
    except ValueError:
        known = ", ".join(k.value for k in ErrorKind)
        return DriverCrash(f"error line with unknown kind {message.get('kind')!r}; known: {known}")
    if status is not None and not isinstance(status, int):
        return DriverCrash(f"error line with a non-integer status {status!r}")
    return ContractError(kind, str(message.get("message") or ""), status)


def _result(value: Any) -> Result:
    try:
        return Result.model_validate(value)
    except ValidationError as exc:
        raise DriverCrash(f"result line: {_short(exc)}") from None


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


async def _tail(stream: asyncio.StreamReader) -> bytes:
    kept = b""
    while chunk := await stream.read(65536):
        kept = (kept + chunk)[-STDERR_LIMIT * 4 :]
    return kept


async def _exit_code(process: asyncio.subprocess.Process) -> int | None:
    try:
        async with asyncio.timeout(2):
            return await process.wait()
    except TimeoutError:
        return None


async def _stderr(process: asyncio.subprocess.Process, task: asyncio.Future[bytes]) -> str:
    """The tail of the process's stderr, once it has exited (killed if it has not)."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
    try:
        async with asyncio.timeout(2):
            data = await asyncio.shield(task)
    except TimeoutError:
        return ""
    text = data.decode("utf-8", "replace").strip()
    if not text:
        return ""
    if len(text) > STDERR_LIMIT:
        text = "..." + text[-STDERR_LIMIT:].lstrip()
    return f"; stderr: {text}"


KNOWN_CAPABILITIES = frozenset({ENDPOINT_OPTION})


def subprocess_spec(
    command: str, *, timeout: float = CALL_TIMEOUT, capabilities: Sequence[str] = ()
) -> DriverSpec:
    """The DriverSpec behind ``--driver-cmd "CMD"`` (split like a POSIX shell would);
    ``capabilities`` are what the command declares it honours (``--driver-capability``)."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("--driver-cmd is empty")
    unknown = set(capabilities) - KNOWN_CAPABILITIES
    if unknown:
        known = ", ".join(sorted(KNOWN_CAPABILITIES))
        raise ValueError(f"unknown driver capability {sorted(unknown)}; known: {known}")
    return DriverSpec(
        f"cmd:{command}",
        functools.partial(SubprocessDriver, command=argv, timeout=timeout),
        f"subprocess driver: {command} (JSON lines, protocol v{PROTOCOL_VERSION})",
        frozenset(capabilities),
    )

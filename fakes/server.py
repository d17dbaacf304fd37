"""Run a fake app under uvicorn on loopback, in the foreground or in a background thread."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


def uvicorn_config(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    log_level: str = "warning",
    server_header: bool = True,
    date_header: bool = True,
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        server_header=server_header,
        date_header=date_header,
    )


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so a busy port is a clear error before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class LiveServer:
    """A fake on a real socket, for tests that need one (streams that stall or get cut)."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        server_header: bool = True,
        date_header: bool = True,  # both False for a transparent proxy (the recorder)
    ) -> None:
        self.app = app
        self.socket = bind(host, port)
        self.host, self.port = self.socket.getsockname()[:2]
        config = uvicorn_config(
            app, self.host, self.port, server_header=server_header, date_header=date_header
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, once it runs
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self.socket])

    def tasks(self) -> int:
        """How many asyncio tasks the server's event loop holds (for leak checks)."""

        async def count() -> int:
            return len(asyncio.all_tasks())

        assert self.loop is not None, "the server is not running"
        return asyncio.run_coroutine_threadsafe(count(), self.loop).result(timeout=10) - 1

    def start(self, timeout: float = 10.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self.socket.close()


@contextmanager
def live(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    server_header: bool = True,
    date_header: bool = True,
) -> Iterator[LiveServer]:
    server = LiveServer(
        app, host, port, server_header=server_header, date_header=date_header
    ).start()
    try:
        yield server
    finally:
        server.stop()


class GracefulServer(uvicorn.Server):
    """uvicorn's server, stopped by Ctrl-C or SIGTERM alike: it stops accepting, gives open
    streams ``timeout_graceful_shutdown`` seconds to finish, ends the rest, and returns.

    uvicorn raises the signal again once it has shut down; SIGTERM's default action would
    then kill the process (status -15) and Ctrl-C would surface as KeyboardInterrupt inside
    the event loop, logging tracebacks of the streams it cancels. Here neither is raised
    again: the process exits 0 after a clean shutdown.
    """

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


class _SharedSignals(uvicorn.Server):
    """A server that leaves signal handling to ``serve_together``."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve_together(servers: Sequence[tuple[uvicorn.Config, socket.socket]]) -> None:
    """Several uvicorn servers in one event loop; Ctrl-C stops them all."""
    running = [_SharedSignals(config) for config, _ in servers]

    def stop() -> None:
        for server in running:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    await asyncio.gather(
        *(server.serve(sockets=[sock]) for server, (_, sock) in zip(running, servers, strict=True))
    )

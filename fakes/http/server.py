"""Run a fake app under uvicorn on loopback, in the foreground or in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
import socket
import threading
import time
from collections.abc import Coroutine, Generator, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

from fakes.console import close_streams


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
        lifespan="auto",  # the fake LiteLLM closes its pooled upstream connections
        timeout_graceful_shutdown=2,
        server_header=server_header,
        date_header=date_header,
    )


BACKLOG = 2048


def bind(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """Bind first, so a busy port is a clear error before anything starts.

    ``listen=False`` keeps the port closed (bound, connections refused) until the caller
    listens, as vLLM does while it loads a model."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family in (socket.AF_INET, socket.AF_INET6):
        # Accepted sockets inherit TCP_NODELAY from this one. Without it, on the stdlib event
        # loop (LiveServer's), a response written as head + body waited out the client's
        # delayed ACK: ~40 ms per non-streaming request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    # Listen at once: a client that connects while the server is still starting (between the
    # banner and the event loop) waits in the backlog instead of being refused.
    if listen:
        sock.listen(BACKLOG)
    return sock


class FakeServer(uvicorn.Server):
    """A uvicorn server that ends the console's event streams when told to stop, instead of
    waiting for the browsers watching them (and then cancelling them)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        close_streams(self.config.app)
        super().handle_exit(sig, frame)

    def stop_soon(self) -> None:
        """Stop from the server's own event loop."""
        close_streams(self.config.app)
        self.should_exit = True

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Ctrl-C and SIGTERM alike: stop accepting, give open streams
        ``timeout_graceful_shutdown`` seconds, end the rest, and return.

        uvicorn raises the signal again once it has shut down; SIGTERM's default action would
        then kill the process (status -15) and Ctrl-C would surface as KeyboardInterrupt inside
        the event loop, logging tracebacks of the streams it cancels. Here neither is raised
        again: the process exits 0 after a clean shutdown.
        """
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
        self.server = FakeServer(config)
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
        if self.loop is not None and self.loop.is_running():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self.loop.call_soon_threadsafe(self.server.stop_soon)
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


# The CLI's servers: graceful on Ctrl-C and SIGTERM alike (see FakeServer.capture_signals).
GracefulServer = FakeServer


class _SharedSignals(FakeServer):
    """A server that leaves signal handling to ``serve_together``."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


# Which server a log line comes from, when several share uvicorn's loggers in one process.
_SERVER_LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("server_label", default="")


class _Labelled(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        label = _SERVER_LABEL.get()
        if label:
            record.msg = f"[{label}] {record.msg}"
        return True


async def _serve_labelled(server: FakeServer, sock: socket.socket, label: str) -> None:
    _SERVER_LABEL.set(label)  # this task's own context: the other servers keep theirs
    await server.serve(sockets=[sock])


async def serve_together(
    servers: Sequence[tuple[uvicorn.Config, socket.socket]], labels: Sequence[str] = ()
) -> None:
    """Several uvicorn servers in one event loop; Ctrl-C stops them all. With ``labels``,
    each uvicorn log line starts with its server's label."""
    running = [_SharedSignals(config) for config, _ in servers]
    labelled = _Labelled()
    if labels:
        for name in ("uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).addFilter(labelled)

    def stop() -> None:
        for server in running:
            server.stop_soon()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    names = list(labels) or [""] * len(servers)
    try:
        await asyncio.gather(
            *(
                asyncio.create_task(_serve_labelled(server, sock, label))
                for server, (_, sock), label in zip(running, servers, names, strict=True)
            )
        )
    finally:
        for name in ("uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).removeFilter(labelled)


T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when it is installed (as uvicorn's own ``run`` would)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)

"""A streaming ASGI response that can end cleanly, be cut, and notices disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing

import anyio
import anyio.lowlevel
from starlette.types import Receive, Scope, Send


class _Cut:
    """Yielded by a stream to drop the connection without finishing the body."""


CUT = _Cut()

_CUT_LOG = "ASGI callable returned without completing response."


class _HideDeliberateCuts(logging.Filter):
    """uvicorn logs a deliberate cut as an error, and a stream it cancels when its graceful
    shutdown times out as a traceback; both are expected ends of a stream, and uvicorn
    already logs the shutdown ("Cancel N running task(s)...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() == _CUT_LOG:
            return False
        cancelled = record.exc_info is not None and isinstance(
            record.exc_info[1], asyncio.CancelledError
        )
        return not (cancelled and record.getMessage().startswith("Exception in ASGI application"))


logging.getLogger("uvicorn.error").addFilter(_HideDeliberateCuts())


async def _sleep0() -> None:
    await asyncio.sleep(0)


class EventStreamResponse:
    def __init__(
        self,
        events: AsyncGenerator[bytes | _Cut, None],
        *,
        status: int = 200,
        headers: list[tuple[bytes, bytes]] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.events = events
        self.status = status
        self.headers = headers or [(b"content-type", b"text/event-stream; charset=utf-8")]
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        # anyio's checkpoint on asyncio is sleep(0): the backend found once, not per event
        checkpoint: Callable[[], Awaitable[None]] = anyio.lowlevel.checkpoint
        with contextlib.suppress(RuntimeError):  # no asyncio loop: another anyio backend
            asyncio.get_running_loop()
            checkpoint = _sleep0
        try:
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    async with aclosing(self.events) as events:
                        async for event in events:
                            if isinstance(event, _Cut):
                                group.cancel_scope.cancel()
                                return
                            await send(
                                {"type": "http.response.body", "body": event, "more_body": True}
                            )
                            # let a lost connection be noticed before the next write, so
                            # events are not written into a closed socket (asyncio warns)
                            await checkpoint()
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    group.cancel_scope.cancel()

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                group.start_soon(watch)
        finally:
            if self.on_close is not None:
                self.on_close()

"""A streaming ASGI response that can end cleanly, be cut, and notices disconnects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

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


class EventStreamResponse:
    def __init__(
        self,
        events: AsyncGenerator[bytes | _Cut, None],
        *,
        status: int = 200,
        headers: list[tuple[bytes, bytes]] | None = None,
        on_close: Callable[[], None] | None = None,
        status_of_first: Callable[[bytes], int | None] | None = None,
    ) -> None:
        self.events = events
        self.status = status
        # read the first event before the status line: its status, if it names one (a proxy
        # that answers a stream opening with an error frame with that error's status)
        self.status_of_first = status_of_first
        self.headers = headers or [(b"content-type", b"text/event-stream; charset=utf-8")]
        self.on_close = on_close

    async def _first_read(self) -> int:
        events = self.events
        assert self.status_of_first is not None
        try:
            first = await events.__anext__()
        except StopAsyncIteration:
            return self.status

        async def chained() -> AsyncGenerator[bytes | _Cut, None]:
            yield first
            async with aclosing(events) as rest:
                async for event in rest:
                    yield event

        self.events = chained()
        found = None if isinstance(first, _Cut) else self.status_of_first(first)
        return self.status if found is None else found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = self.status if self.status_of_first is None else await self._first_read()
        await send({"type": "http.response.start", "status": status, "headers": self.headers})
        # The events are sent from this task; one more task watches for a disconnect and
        # cancels this one while it is still streaming (an anyio task group cost about 6 KB
        # more per open stream, a benchmark row at 1,000 streams).
        this = asyncio.current_task()
        assert this is not None
        streaming = True
        disconnected = False

        async def watch() -> None:
            nonlocal disconnected
            while (await receive())["type"] != "http.disconnect":
                pass
            if streaming:
                disconnected = True
                this.cancel()

        watcher = asyncio.ensure_future(watch())
        try:
            async with aclosing(self.events) as events:
                async for event in events:
                    if isinstance(event, _Cut):
                        return
                    await send({"type": "http.response.body", "body": event, "more_body": True})
                    # let a lost connection be noticed before the next write, so events are
                    # not written into a closed socket (asyncio warns)
                    await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            # our own cancel on a disconnect ends the stream quietly; any other goes on
            if not disconnected or this.uncancel() > 0:
                raise
        finally:
            streaming = False
            watcher.cancel()
            if self.on_close is not None:
                self.on_close()

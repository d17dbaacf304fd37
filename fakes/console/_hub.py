"""Fan the request log's changes out to server-sent-event subscribers.

Each subscriber has a bounded queue; one that falls behind is dropped (told so, then
closed) rather than ever making the fake wait for it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator

import orjson

from fakes.http.requestlog import Exchange, RequestLog

DEFAULT_QUEUE = 1000
_DROPPED = b"event: dropped\ndata: {}\n\n"
_BYE = b"event: bye\ndata: {}\n\n"  # the fake is stopping


class Subscriber:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(size)
        self.dropped = False

    def offer(self, event: bytes) -> bool:
        """Queue ``event``; False (and the subscriber is finished) when the queue was full."""
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            self.dropped = True
            self.last_word(_DROPPED)
            return False

    def last_word(self, event: bytes) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class Hub:
    def __init__(self, log: RequestLog, queue_size: int = DEFAULT_QUEUE) -> None:
        self.queue_size = queue_size
        self.subscribers: list[Subscriber] = []
        log.listeners.append(self._publish)

    def _publish(self, kind: str, entry: Exchange | None) -> None:
        if not self.subscribers:
            return
        data = orjson.dumps(entry.summary() if entry is not None else {})
        event = b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"
        self.subscribers = [s for s in self.subscribers if s.offer(event)]

    def close(self) -> None:
        """End every stream (the server is stopping: it need not wait for them)."""
        for subscriber in self.subscribers:
            subscriber.last_word(_BYE)
        self.subscribers = []

    async def stream(self, keepalive: float = 15.0) -> AsyncIterator[bytes]:
        subscriber = Subscriber(self.queue_size)
        self.subscribers.append(subscriber)
        try:
            yield b"retry: 1000\nevent: hello\ndata: {}\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(subscriber.queue.get(), keepalive)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                yield event
                if event is _DROPPED or event is _BYE:
                    return
        finally:
            if subscriber in self.subscribers:
                self.subscribers.remove(subscriber)


_HUBS: weakref.WeakKeyDictionary[RequestLog, Hub] = weakref.WeakKeyDictionary()


def hub_for(log: RequestLog) -> Hub:
    hub = _HUBS.get(log)
    if hub is None:
        hub = _HUBS[log] = Hub(log)
    return hub


def close_streams(app: object) -> None:
    """End the event streams of ``app``'s fake, in its event loop's thread."""
    log = getattr(getattr(getattr(app, "state", None), "fake", None), "log", None)
    hub = _HUBS.get(log) if isinstance(log, RequestLog) else None
    if hub is not None:
        hub.close()

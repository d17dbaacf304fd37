"""Put an in-process target on a real loopback socket, for clients that cannot be handed a
transport (another process, or an SDK that opens its own connections)."""

from __future__ import annotations

import dataclasses

import anyio

from contracts._target import Target
from fakes.http.server import LiveServer


class Loopback:
    """Serves ``target.app`` on 127.0.0.1 on first use; a target without an app is used as is.

    ``await loopback.target()`` returns a Target whose ``base_url`` is reachable over TCP;
    ``await loopback.aclose()`` stops the server (a no-op when none was started).
    """

    def __init__(self, target: Target) -> None:
        self._given = target
        self._server: LiveServer | None = None
        self._live: Target | None = None

    async def target(self) -> Target:
        if self._given.app is None:
            return self._given
        if self._live is None:
            app = self._given.app
            server = await anyio.to_thread.run_sync(lambda: LiveServer(app).start())
            self._server = server
            self._live = dataclasses.replace(self._given, base_url=f"{server.url}/v1", app=None)
        return self._live

    async def aclose(self) -> None:
        server, self._server, self._live = self._server, None, None
        if server is not None:
            await anyio.to_thread.run_sync(server.stop)

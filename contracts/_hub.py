"""One loopback server for many cells: each cell's fake is mounted under its own prefix.

Starting a uvicorn server per cell would dominate a live matrix; mounting is instant.
"""

from __future__ import annotations

import itertools

from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.http.server import LiveServer


class Hub:
    def __init__(self) -> None:
        self._apps: dict[str, ASGIApp] = {}
        self._ids = itertools.count(1)
        self._server: LiveServer | None = None

    def mount(self, app: ASGIApp) -> tuple[str, str]:
        """Returns the cell's key and its root URL (put /v1 after it)."""
        if self._server is None:
            self._server = LiveServer(self).start()
        key = f"cell-{next(self._ids)}"
        self._apps[key] = app
        return key, f"{self._server.url}/{key}"

    def unmount(self, key: str) -> None:
        self._apps.pop(key, None)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        _, key, rest = (scope["path"] + "/").split("/", 2)
        app = self._apps.get(key)
        if app is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"no such cell"})
            return
        path = "/" + rest.rstrip("/") if rest.rstrip("/") else "/"
        if scope["path"].endswith("/") and path != "/":
            path += "/"
        inner = dict(scope, path=path, raw_path=path.encode())
        await app(inner, receive, send)

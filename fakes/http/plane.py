"""The control plane every fake backend mounts: ``/_fake/`` routes, the console at
``/_fake/ui``, and the token that guards both. One place, so each backend's app only says
which backend it is."""

from __future__ import annotations

from typing import Protocol

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from fakes.console import console_routes
from fakes.http.control import Controllable, control_routes
from fakes.http.controltoken import ControlTokenMiddleware


class PlaneConfig(Protocol):
    """What a backend's config says about its control plane."""

    @property
    def control_plane(self) -> bool: ...

    @property
    def control_token(self) -> str | None: ...

    @property
    def recordings_dir(self) -> str: ...


def _fake(request: Request) -> Controllable:
    fake: Controllable = request.app.state.fake
    return fake


def plane_routes(config: PlaneConfig, *, backend: str, label: str) -> list[Route]:
    """The control routes and the console, or none when the control plane is off."""
    if not config.control_plane:
        return []
    return [
        *control_routes(_fake),
        *console_routes(_fake, backend=backend, label=label, recordings_dir=config.recordings_dir),
    ]


def guard(config: PlaneConfig, middleware: list[Middleware]) -> list[Middleware]:
    """The middleware with the control-token check outermost, when a token is set."""
    if config.control_plane and config.control_token:
        return [Middleware(ControlTokenMiddleware, token=config.control_token), *middleware]
    return middleware

"""Build a fake LiteLLM proxy starlette app from a config and its profile."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.console import Peer, console_routes
from fakes.http.capture import CaptureMiddleware
from fakes.http.control import control_routes
from fakes.http.controltoken import ControlTokenMiddleware
from fakes.litellm import _health, _messages, _routes
from fakes.litellm._config import LitellmConfig
from fakes.litellm._dispatch import ChatDispatch
from fakes.litellm._errors import ProxyError, detail_response
from fakes.litellm._headers import SecurityHeadersMiddleware
from fakes.litellm._state import LitellmState
from fakes.litellm._unhandled import UnhandledErrorMiddleware

# The control routes that make sense without a script, faults or timing of its own.
_CONTROL = {"/_fake/requests", "/_fake/requests/{id:int}", "/_fake/reset", "/_fake/profile"}
_PREFIXES = ("/v1", "")
_DEPLOYMENT_PREFIXES = ("/engines/{model}", "/openai/deployments/{model}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return detail_response(exc.status_code, exc.headers)


class _ControlOnly:
    """Another fake's control plane (and console) mounted under this one's ``/_fake/``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope["path"], scope.get("root_path", "")
        rest = path[len(root) :] if path.startswith(root) else path
        if scope["type"] == "http" and not rest.startswith("/_fake/"):
            await detail_response(404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_litellm_app(
    config: LitellmConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    peers: dict[str, tuple[str, ASGIApp]] | None = None,
) -> Starlette:
    """The fake proxy; ``transport`` (e.g. ``httpx.ASGITransport``) reaches the upstreams
    in process, otherwise they are called over real sockets. ``peers`` (name: (label, app))
    puts other fakes' control planes under ``/_fake/peers/NAME/`` for one console."""
    state = LitellmState(config, transport)
    routes: list[BaseRoute] = [
        Route("/health/liveliness", _routes.liveliness, methods=["GET"]),
        Route("/health/readiness", _routes.readiness, methods=["GET"]),
        Route("/health", _health.health, methods=["GET"]),
    ]
    for prefix in _PREFIXES:
        routes += [
            Route(f"{prefix}/chat/completions", _routes.chat_completions, methods=["POST"]),
            Route(f"{prefix}/responses", _routes.responses, methods=["POST"]),
            Route(f"{prefix}/completions", _routes.completions, methods=["POST"]),
            Route(f"{prefix}/models", _routes.models, methods=["GET"]),
        ]
    routes.append(Route("/v1/messages", _messages.messages, methods=["POST"]))
    for prefix in _DEPLOYMENT_PREFIXES:
        routes.append(
            Route(f"{prefix}/chat/completions", _routes.chat_completions, methods=["POST"])
        )
    if config.control_plane:
        control = control_routes(lambda request: request.app.state.fake)
        routes.extend(route for route in control if route.path in _CONTROL)
        shared = []
        for name, (label, app) in (peers or {}).items():
            base = f"/_fake/peers/{name}"
            routes.append(Mount(base, app=_ControlOnly(app)))
            shared.append(Peer(name, label, base))
        routes.extend(
            console_routes(
                lambda request: request.app.state.fake,
                backend="litellm",
                label="fake LiteLLM",
                recordings_dir=config.recordings_dir,
                peers=shared,
            )
        )

    def too_large(limit: int) -> ASGIApp:
        return ProxyError(f"Request body exceeds the fake's limit of {limit} bytes", 413).response()

    middleware = [
        Middleware(ChatDispatch, state=state, too_large=too_large),
        Middleware(SecurityHeadersMiddleware, knobs=lambda: state.knobs),
        Middleware(
            CaptureMiddleware,
            log=lambda: state.log,
            max_body=config.max_body_bytes,
            too_large=too_large,
        ),
        Middleware(UnhandledErrorMiddleware),
    ]
    if config.control_plane and config.control_token:
        middleware.insert(0, Middleware(ControlTokenMiddleware, token=config.control_token))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await state.aclose()  # the pooled upstream connections

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.fake = state
    return app

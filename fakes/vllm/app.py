"""Build a fake vLLM starlette app from a profile: the profile decides which routes exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Scope

from fakes.http.capture import CaptureMiddleware
from fakes.http.plane import guard, plane_routes
from fakes.http.replica import ReplicaHeaderMiddleware
from fakes.profiles import ResponsesRoute
from fakes.vllm import _messages, _routes, _tokenize
from fakes.vllm._auth import ApiKeyMiddleware
from fakes.vllm._request_id import RequestIdMiddleware
from fakes.vllm._state import VllmConfig, VllmState
from fakes.vllm.fast import FastPathMiddleware
from fakes.vllm.wire.errors import VllmError, detail_response, error_response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = detail_response(exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


class _WhenRoute(Route):
    """A route that exists only while ``enabled()``: a profile switched at run time (the
    console) adds or removes it, and an absent route is the router's own 404."""

    def __init__(self, *args: Any, enabled: Callable[[], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enabled = enabled

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.enabled():
            return Match.NONE, {}
        return super().matches(scope)


class _VllmApp(Starlette):
    """The fast path, when on, wraps the whole stack, starlette's ServerErrorMiddleware
    included: a plain request is answered before any starlette layer runs."""

    fast_path: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.fast_path is None else self.fast_path(stack)


def create_vllm_app(config: VllmConfig) -> Starlette:
    state = VllmState(config)
    knobs = config.profile.knobs
    routes = [
        Route("/health", _routes.health, methods=["GET"]),
        Route("/version", _routes.version, methods=["GET"]),
        Route("/metrics", _routes.metrics, methods=["GET"]),
        Route("/v1/models", _routes.models, methods=["GET"]),
        Route("/v1/chat/completions", _routes.chat_completions, methods=["POST"]),
    ]
    routes.append(Route("/v1/completions", _routes.completions, methods=["POST"]))
    routes.append(
        _WhenRoute(
            "/v1/responses",
            _routes.responses,
            methods=["POST"],
            enabled=lambda: state.knobs.responses is not ResponsesRoute.ABSENT,
        )
    )
    routes.append(
        _WhenRoute(
            "/v1/messages",
            _messages.messages,
            methods=["POST"],
            enabled=lambda: state.knobs.messages,
        )
    )
    routes.append(
        _WhenRoute(
            "/v1/messages/count_tokens",
            _messages.count_tokens,
            methods=["POST"],
            enabled=lambda: state.knobs.messages and state.knobs.messages_count_tokens,
        )
    )
    for path, endpoint in (
        ("/tokenize", _tokenize.tokenize),
        ("/detokenize", _tokenize.detokenize),
    ):
        routes.append(
            _WhenRoute(path, endpoint, methods=["POST"], enabled=lambda: state.knobs.tokenize)
        )
    routes.extend(plane_routes(config, backend="vllm", label="fake vLLM"))

    def too_large(limit: int) -> ASGIApp:
        message = f"Request body exceeds the fake's limit of {limit} bytes"
        return error_response(state.knobs, VllmError(message, 413))

    middleware = [
        Middleware(
            CaptureMiddleware,
            log=lambda: state.log,
            max_body=config.max_body_bytes,
            too_large=too_large,
        )
    ]
    # outside the API-key check: 0.6.4 adds it after `authentication`, so a 401 carries it
    middleware.append(
        Middleware(
            RequestIdMiddleware,
            enabled=lambda: state.knobs.x_request_id_response,
            fresh=lambda: state.uuid_hex(),
        )
    )
    if config.api_keys:
        middleware.append(
            Middleware(ApiKeyMiddleware, keys=config.api_keys, prefixes=knobs.auth_prefixes)
        )
    middleware = guard(config, middleware)
    if config.replica_name:  # outermost: every answer names its replica, errors included
        middleware.insert(0, Middleware(ReplicaHeaderMiddleware, name=config.replica_name))
    app = _VllmApp(
        routes=routes, middleware=middleware, exception_handlers={HTTPException: _http_error}
    )
    if config.fast_path:
        app.fast_path = lambda stack: FastPathMiddleware(stack, state=state, too_large=too_large)
    app.state.fake = state
    return app

"""Build a fake llama-server starlette app from a profile and its command line."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from fakes.http.capture import CaptureMiddleware
from fakes.http.plane import guard, plane_routes
from fakes.llamacpp import _routes
from fakes.llamacpp._auth import ApiKeyMiddleware
from fakes.llamacpp._routes import LlamacppError, error_response
from fakes.llamacpp._state import LlamacppConfig, LlamacppState


async def _http_error(request: Request, exc: Exception) -> Response:
    """cpp-httplib's error handler: a 404 is {"error": File Not Found}; a wrong method on a
    known path is a 404 too (httplib matches method and path together)."""
    assert isinstance(exc, HTTPException)
    order = request.app.state.fake.knobs.http_error_keys
    if exc.status_code in (404, 405):
        return error_response(LlamacppError("File Not Found", 404, order=order))
    return error_response(LlamacppError(str(exc.detail), exc.status_code))


async def _llamacpp_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LlamacppError)
    return error_response(exc)


def create_llamacpp_app(config: LlamacppConfig) -> Starlette:
    state = LlamacppState(config)
    knobs = config.profile.knobs
    routes = [
        Route("/health", _routes.health, methods=["GET"]),
        Route("/metrics", _routes.metrics, methods=["GET"]),
        Route("/props", _routes.props, methods=["GET"]),
        Route("/slots", _routes.slots, methods=["GET"]),
        Route("/models", _routes.models, methods=["GET"]),
        Route("/v1/models", _routes.models, methods=["GET"]),
        Route("/completions", _routes.completions, methods=["POST"]),
        Route("/v1/completions", _routes.completions, methods=["POST"]),
        Route("/chat/completions", _routes.chat_completions, methods=["POST"]),
        Route("/v1/chat/completions", _routes.chat_completions, methods=["POST"]),
    ]
    if knobs.health_v1:
        routes.append(Route("/v1/health", _routes.health, methods=["GET"]))
    routes.extend(plane_routes(config, backend="llamacpp", label="fake llama.cpp"))

    def too_large(limit: int) -> ASGIApp:
        return error_response(LlamacppError(f"Request body exceeds {limit} bytes", 413))

    middleware = [
        Middleware(
            CaptureMiddleware,
            log=lambda: state.log,
            max_body=config.max_body_bytes,
            too_large=too_large,
        )
    ]
    if config.api_keys:
        middleware.append(
            Middleware(
                ApiKeyMiddleware,
                keys=config.api_keys,
                public=frozenset(knobs.public_paths),
                order=knobs.http_error_keys,
            )
        )
    app = Starlette(
        routes=routes,
        middleware=guard(config, middleware),
        exception_handlers={HTTPException: _http_error, LlamacppError: _llamacpp_error},
    )
    app.state.fake = state
    return app

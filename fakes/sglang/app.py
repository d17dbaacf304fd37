"""Build a fake SGLang starlette app from a profile."""

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
from fakes.sglang import _routes
from fakes.sglang._auth import ApiKeyMiddleware
from fakes.sglang._state import SglangConfig, SglangState
from fakes.sglang.wire.errors import SglangError, detail_response, error_response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = detail_response(exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def create_sglang_app(config: SglangConfig) -> Starlette:
    state = SglangState(config)
    routes = [
        Route("/health", _routes.health, methods=["GET"]),
        Route("/health_generate", _routes.health, methods=["GET"]),
        Route("/get_model_info", _routes.model_info, methods=["GET"]),
        Route("/v1/models", _routes.models, methods=["GET"]),
        Route("/v1/chat/completions", _routes.chat_completions, methods=["POST"]),
    ]
    routes.extend(plane_routes(config, backend="sglang", label="fake SGLang"))

    def too_large(limit: int) -> ASGIApp:
        message = f"Request body exceeds the fake's limit of {limit} bytes"
        return error_response(SglangError(message, 413))

    middleware = [
        Middleware(
            CaptureMiddleware,
            log=lambda: state.log,
            max_body=config.max_body_bytes,
            too_large=too_large,
        )
    ]
    if config.api_key:
        middleware.append(Middleware(ApiKeyMiddleware, key=config.api_key))
    app = Starlette(
        routes=routes,
        middleware=guard(config, middleware),
        exception_handlers={HTTPException: _http_error},
    )
    app.state.fake = state
    return app

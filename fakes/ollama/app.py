"""Build a fake Ollama starlette app from a profile: the profile decides which routes exist."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
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
from fakes.ollama import _routes
from fakes.ollama._gojson import dumps
from fakes.ollama._state import OllamaConfig, OllamaState


async def _not_found(request: Request, exc: Exception) -> Response:
    # gin's default for an unknown route, and for a known path with another method
    # (HandleMethodNotAllowed is off): 404 text/plain "404 page not found"
    return Response(b"404 page not found", 404, headers={"content-type": "text/plain"})


class _WhenRoute(Route):
    """A route that exists only while ``enabled()`` (a profile switched at run time)."""

    def __init__(self, *args: Any, enabled: Callable[[], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enabled = enabled

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.enabled():
            return Match.NONE, {}
        return super().matches(scope)


def create_ollama_app(config: OllamaConfig) -> Starlette:
    state = OllamaState(config)
    routes: list[Route] = [
        Route("/", _routes.root, methods=["GET", "HEAD"]),
        Route("/api/tags", _routes.tags, methods=["GET", "HEAD"]),
        Route("/api/version", _routes.version, methods=["GET", "HEAD"]),
        Route("/api/chat", _routes.api_chat, methods=["POST"]),
        Route("/api/generate", _routes.api_generate, methods=["POST"]),
        Route("/v1/chat/completions", _routes.chat_completions, methods=["POST"]),
        Route("/v1/completions", _routes.completions, methods=["POST"]),
        Route("/v1/models", _routes.models, methods=["GET"]),
        Route("/v1/models/{model:path}", _routes.model, methods=["GET"]),
        _WhenRoute(
            "/v1/responses",
            _routes.responses,
            methods=["POST"],
            enabled=lambda: state.knobs.responses,
        ),
    ]
    routes.extend(plane_routes(config, backend="ollama", label="fake Ollama"))

    def too_large(limit: int) -> ASGIApp:
        message = f"Request body exceeds the fake's limit of {limit} bytes"
        return Response(dumps({"error": message}), 413, media_type=_routes.GIN_JSON)

    middleware = [
        Middleware(
            CaptureMiddleware,
            log=lambda: state.log,
            max_body=config.max_body_bytes,
            too_large=too_large,
        )
    ]
    app = Starlette(
        routes=routes,
        middleware=guard(config, middleware),
        exception_handlers={HTTPException: _not_found},
    )
    app.state.fake = state
    app.state.started = int(time.time())
    app.state.started_at = datetime.now(UTC)
    return app

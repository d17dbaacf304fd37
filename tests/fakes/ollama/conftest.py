from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from fakes.ollama import OllamaConfig, create_ollama_app
from fakes.profiles import builtin


@asynccontextmanager
async def ollama_client(version: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    profile = builtin("ollama").for_release(version)
    app = create_ollama_app(OllamaConfig(profile=profile, version=version, **overrides))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        yield client


@pytest.fixture
def ollama() -> Callable[..., Any]:
    """``async with ollama("0.5.7", **config) as client:`` an in-process fake Ollama."""
    return ollama_client

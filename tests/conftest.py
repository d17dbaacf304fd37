from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app
from tests._wheel import wheel  # noqa: F401  built once per session (packaging tests)

pytest_plugins = ["pytester"]

ClientFactory = Callable[..., Any]


def vllm_config(version: str, **overrides: Any) -> VllmConfig:
    profile, release = resolve_vllm_profile(version, None)
    return VllmConfig(profile=profile, version=release, **overrides)


@asynccontextmanager
async def vllm_client(version: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_vllm_app(vllm_config(version, **overrides))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def vllm() -> Callable[..., Any]:
    """``async with vllm("0.9.2", **config) as client:`` an in-process fake vLLM."""
    return vllm_client


def events(text: str) -> list[str]:
    """The data payloads of an SSE body, in order."""
    return [block[len("data: ") :] for block in text.split("\n\n") if block.startswith("data: ")]


def chunks(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(e) for e in events(text) if e != "[DONE]"]


_VOLATILE = re.compile(r'"(id|created)":("[^"]*"|\d+)')


def stable(text: str) -> str:
    """Replace ids and timestamps so wire bytes can be compared exactly."""
    return _VOLATILE.sub(lambda m: f'"{m.group(1)}":"*"', text)


CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}


WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]

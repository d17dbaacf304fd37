from __future__ import annotations

from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.probe import Report, probe_url
from fakes.profiles import Profile
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import VllmConfig, create_vllm_app

KEY = "sk-probe-test"


class Counting:
    """ASGI middleware that counts the requests reaching the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


def vllm_app(profile: Profile, **config: Any) -> ASGIApp:
    config.setdefault("api_keys", (KEY,))
    return create_vllm_app(VllmConfig(profile=profile, version=profile.reference, **config))


async def probe_app(app: ASGIApp, **options: Any) -> Report:
    options.setdefault("api_key", KEY)
    return await probe_url(
        "http://probe.test", transport=StreamingASGITransport(app), rate=0, **options
    )


@pytest.fixture
def counting() -> type[Counting]:
    return Counting

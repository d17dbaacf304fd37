"""An in-process fake SGLang for the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from fakes.profiles._registry import resolve_sglang_profile
from fakes.sglang import SglangConfig, create_sglang_app


@asynccontextmanager
async def sglang(version: str, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    profile, release = resolve_sglang_profile(version, None)
    app = create_sglang_app(SglangConfig(profile=profile, version=release, **options))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sglang") as client:
        yield client

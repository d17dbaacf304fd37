"""The fake's side of an exchange: the same setup and request, in-process."""

from __future__ import annotations

from typing import Any

import httpx

from fakes.model.script import Script
from fakes.profiles._registry import resolve_sglang_profile
from fakes.sglang import SglangConfig, create_sglang_app


def fake_client(version: str, setup: dict[str, Any]) -> httpx.AsyncClient:
    profile, release = resolve_sglang_profile(version, None)
    config = SglangConfig(
        profile=profile,
        version=release,
        served_model_name=setup.get("served_model_name", "fake-model"),
        tool_call_parser=setup.get("tool_call_parser"),
        reasoning_parser=setup.get("reasoning_parser"),
        script=Script.model_validate(setup["script"]),
    )
    transport = httpx.ASGITransport(app=create_sglang_app(config))
    return httpx.AsyncClient(transport=transport, base_url="http://fake-sglang")


async def send(client: httpx.AsyncClient, exchange: dict[str, Any]) -> httpx.Response:
    request = exchange["request"]
    body = request.get("body")
    content = body if isinstance(body, str) else None
    payload = None if isinstance(body, str) or body is None else body
    return await client.request(
        request["method"],
        request["path"],
        headers=request.get("headers") or {},
        json=payload,
        content=content,
    )

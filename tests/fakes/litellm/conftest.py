from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from fakes.http.server import live
from fakes.litellm import (
    Deployment,
    LitellmConfig,
    create_litellm_app,
    resolve_litellm_profile,
    stack_app,
)
from fakes.model.faults import Fault, FaultRule
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config

KEY = "sk-llmfakes-Str0ng-Master-Key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
VERSIONS = ["1.74.15", "1.110.2"]


@dataclass
class Stack:
    client: httpx.AsyncClient
    proxy: Starlette
    upstream: Starlette

    def fault(self, **fields: Any) -> None:
        """Every upstream request fails this way until ``clear``."""
        self.upstream.state.fake.faults.set((FaultRule(fault=Fault.model_validate(fields)),))

    def upstream_requests(self) -> list[Any]:
        return list(self.upstream.state.fake.log.entries())

    async def chat(self, **body: Any) -> httpx.Response:
        payload = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], **body}
        return await self.client.post("/v1/chat/completions", json=payload, headers=AUTH)


@asynccontextmanager
async def litellm_stack(
    version: str,
    vllm_version: str = "0.9.2",
    *,
    master_key: str | None = KEY,
    upstream: Starlette | None = None,
    live_upstream: bool = False,
    app_exceptions: bool = True,
    **settings: Any,
) -> AsyncIterator[Stack]:
    """The fake LiteLLM in front of a fake vLLM (tools enabled): in process (through a
    streaming transport), or on a real socket with ``live_upstream``. ``app_exceptions=False``:
    an exception the proxy raises after its answer (as the real one re-raises after its
    catch-all 500, closing the connection) is not raised in the client."""
    vllm = upstream or create_vllm_app(
        vllm_config(vllm_version, enable_auto_tool_choice=True, tool_call_parser="hermes")
    )
    with contextlib.ExitStack() as stack:
        if live_upstream or settings:
            base = "http://upstream.fake/v1"
            transport: httpx.AsyncBaseTransport | None = StreamingASGITransport(vllm)
            if live_upstream:
                base, transport = f"{stack.enter_context(live(vllm)).url}/v1", None
            profile, release = resolve_litellm_profile(version, None)
            deployment = Deployment("fake-model", "hosted_vllm", "fake-model", api_base=base)
            config = LitellmConfig(
                profile, release, (deployment,), master_key=master_key, **settings
            )
            proxy = create_litellm_app(config, transport=transport)
        else:
            proxy = stack_app(version, vllm, master_key=master_key)
        transport = httpx.ASGITransport(app=proxy, raise_app_exceptions=app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
            yield Stack(client, proxy, vllm)


@pytest.fixture
def stack() -> Callable[..., Any]:
    """``async with stack("1.110.2") as s:`` a fake LiteLLM in front of a fake vLLM."""
    return litellm_stack

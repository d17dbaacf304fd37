"""One console for the stack: the fake LiteLLM's page reaches the upstream fake vLLM too."""

from __future__ import annotations

import httpx

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.litellm._stack import STACK_API_BASE
from fakes.transport import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config


def _stack() -> httpx.AsyncClient:
    upstream = create_vllm_app(vllm_config("0.9.2"))
    profile, release = resolve_litellm_profile("1.110.2", None)
    deployment = Deployment(
        model_name="fake-model",
        provider="hosted_vllm",
        upstream_model="fake-model",
        api_base=STACK_API_BASE,
    )
    config = LitellmConfig(profile=profile, version=release, deployments=(deployment,))
    proxy = create_litellm_app(
        config,
        transport=StreamingASGITransport(upstream),
        peers={"vllm": ("fake vLLM 0.9.2 (upstream)", upstream)},
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://fake")


async def test_the_proxy_console_shows_both_logs_and_controls_both() -> None:
    async with _stack() as client:
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200
        info = (await client.get("/_fake/console")).json()
        assert info["backend"] == "litellm"
        assert info["peers"] == [
            {"name": "vllm", "label": "fake vLLM 0.9.2 (upstream)", "base": "/_fake/peers/vllm"}
        ]
        own = (await client.get("/_fake/requests?summary=1")).json()["requests"]
        upstream = (await client.get("/_fake/peers/vllm/_fake/requests")).json()["requests"]
        assert [r["path"] for r in own] == ["/v1/chat/completions"]
        assert upstream[0]["path"] == "/v1/chat/completions"
        assert upstream[0]["json"]["messages"] == CHAT["messages"]
        peer = (await client.get("/_fake/peers/vllm/_fake/console")).json()
        assert peer["backend"] == "vllm" and peer["features"]["faults"]
        await client.put(
            "/_fake/peers/vllm/_fake/faults",
            json=[{"fault": {"kind": "http_error", "status": 503}, "times": 9}],
        )
        failed = await client.post("/v1/chat/completions", json=CHAT)
        assert failed.status_code == 503
        # only the peer's control plane is reachable there, not its API
        assert (await client.get("/_fake/peers/vllm/v1/models")).status_code == 404

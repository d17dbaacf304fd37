"""One console for the stack: the fake LiteLLM's page reaches the upstream fake vLLM too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.litellm._stack import STACK_API_BASE
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config


def _stack(token: str | None = None) -> httpx.AsyncClient:
    upstream = create_vllm_app(vllm_config("0.9.2", control_token=token))
    profile, release = resolve_litellm_profile("1.110.2", None)
    deployment = Deployment(
        model_name="fake-model",
        provider="hosted_vllm",
        upstream_model="fake-model",
        api_base=STACK_API_BASE,
    )
    config = LitellmConfig(
        profile=profile, version=release, deployments=(deployment,), control_token=token
    )
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


async def test_the_token_covers_the_peer_too() -> None:
    async with _stack("tok") as client:
        assert (await client.get("/_fake/peers/vllm/_fake/requests")).status_code == 401
        ok = await client.get(
            "/_fake/peers/vllm/_fake/requests", headers={"Authorization": "Bearer tok"}
        )
        assert ok.status_code == 200


def _free_ports(count: int) -> list[int]:
    ports = []
    for _ in range(count):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    return ports


STACK_KEY = "sk-stack-test-Str0ng-key-0123456789"
STACK_AUTH = {"Authorization": f"Bearer {STACK_KEY}"}


@pytest.mark.live
def test_serve_stack_with_a_token_and_a_log_limit() -> None:
    vllm_port, litellm_port = _free_ports(2)
    command = [sys.executable, "-m", "fakes", "serve", "stack", "--control-token", "tok"]
    command += ["--vllm-port", str(vllm_port), "--litellm-port", str(litellm_port)]
    command += ["--log-limit", "2", "--master-key", STACK_KEY]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{litellm_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/health/liveliness", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        for _ in range(3):
            httpx.post(f"{base}/v1/chat/completions", json=CHAT, headers=STACK_AUTH, timeout=5)
        assert httpx.get(f"{base}/_fake/ui", timeout=5).status_code == 401
        page = httpx.get(f"{base}/_fake/ui?token=tok", timeout=5, follow_redirects=True)
        assert page.status_code == 200 and page.url == f"{base}/_fake/ui"
        cookies = page.history[0].cookies
        rows = httpx.get(f"{base}/_fake/requests", cookies=cookies, timeout=5).json()
        assert rows["limit"] == 2 and [r["id"] for r in rows["requests"]] == [3, 4]
        upstream = httpx.get(
            f"{base}/_fake/peers/vllm/_fake/requests", cookies=cookies, timeout=5
        ).json()
        assert upstream["limit"] == 2 and len(upstream["requests"]) == 2
        direct = httpx.get(f"http://127.0.0.1:{vllm_port}/_fake/requests", timeout=5)
        assert direct.status_code == 401
    finally:
        os.kill(process.pid, signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    assert f"console: {base}/_fake/ui?token=TOKEN".encode() in err


async def test_the_stack_reproduces_as_serve_stack_and_control_plane_calls() -> None:
    # `serve stack` takes no config.yaml and no profile file: the page says what does work
    async with _stack() as client:
        info = (await client.get("/_fake/console")).json()
        assert info["equivalent"]["cli"] == "llm-fakes serve stack --litellm-version 1.110.2"
        peer = (await client.get("/_fake/peers/vllm/_fake/console")).json()
        assert peer["equivalent"]["cli"] == "llm-fakes serve stack --vllm-version 0.9.2"
        await client.patch("/_fake/peers/vllm/_fake/profile", json={"error_shape": "nested"})
        peer = (await client.get("/_fake/peers/vllm/_fake/console")).json()
        assert peer["equivalent"]["cli"] == (
            "llm-fakes serve stack --vllm-version 0.9.2\n"
            "curl -X PATCH http://fake/_fake/peers/vllm/_fake/profile "
            "-H 'content-type: application/json' -d '{\"error_shape\":\"nested\"}'"
        )
        await client.put("/_fake/profile", json={"name": "litellm-1.74"})
        info = (await client.get("/_fake/console")).json()
        assert info["equivalent"]["cli"] == "llm-fakes serve stack --litellm-version 1.74.15"

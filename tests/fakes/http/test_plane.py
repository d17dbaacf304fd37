"""Every backend mounts the same control plane: the /_fake/ routes, the console, the token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from fakes.console._equivalent import HIGHLIGHTS
from fakes.llamacpp import LlamacppConfig, create_llamacpp_app
from fakes.ollama import OllamaConfig, create_ollama_app
from fakes.profiles import builtin
from fakes.sglang import SglangConfig, create_sglang_app
from fakes.vllm import VllmConfig, create_vllm_app


def _newest(backend: str) -> Any:
    return list(builtin(backend))[-1]


def _vllm(**options: Any) -> Starlette:
    profile = _newest("vllm")
    return create_vllm_app(VllmConfig(profile=profile, version=profile.reference, **options))


def _sglang(**options: Any) -> Starlette:
    profile = _newest("sglang")
    return create_sglang_app(SglangConfig(profile=profile, version=profile.reference, **options))


def _ollama(**options: Any) -> Starlette:
    profile = _newest("ollama")
    return create_ollama_app(OllamaConfig(profile=profile, version=profile.reference, **options))


def _llamacpp(**options: Any) -> Starlette:
    profile = _newest("llamacpp")
    config = LlamacppConfig(profile=profile, build=int(profile.reference), alias="tiny", **options)
    return create_llamacpp_app(config)


BACKENDS: dict[str, Callable[..., Starlette]] = {
    "vllm": _vllm,
    "sglang": _sglang,
    "ollama": _ollama,
    "llamacpp": _llamacpp,
}


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_each_backend_serves_the_console_and_its_info(backend: str) -> None:
    async with _client(BACKENDS[backend]()) as client:
        page = await client.get("/_fake/ui")
        info = await client.get("/_fake/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert info.status_code == 200
    body = info.json()
    assert body["backend"] == backend
    assert body["highlights"] == list(HIGHLIGHTS[backend])
    knobs = body["profile"]["knobs"]
    assert all(name in knobs for name in body["highlights"])  # each highlight is a real knob
    # the command that starts this fake again (llama.cpp's release is its build, bNNNN)
    assert body["equivalent"]["cli"] == f"llm-fakes serve {backend} --version {body['version']}"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_token_guards_the_plane_and_not_the_api(backend: str) -> None:
    async with _client(BACKENDS[backend](control_token="s3cret")) as client:
        refused = await client.get("/_fake/console")
        allowed = await client.get("/_fake/console", headers={"authorization": "Bearer s3cret"})
        models = await client.get("/v1/models")
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert models.status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
async def test_without_the_control_plane_nothing_is_mounted(backend: str) -> None:
    async with _client(BACKENDS[backend](control_plane=False)) as client:
        console = await client.get("/_fake/ui")
        control = await client.get("/_fake/requests")
    assert console.status_code == 404
    assert control.status_code == 404

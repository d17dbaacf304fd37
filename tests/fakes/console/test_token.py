"""--control-token guards every /_fake/ route (the console included); the API stays open."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette

from fakes.http.controltoken import COOKIE
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config

TOKEN = "s3cret token;with=odd chars"
ROUTES = [
    "/_fake/ui",
    "/_fake/ui/console.js",
    "/_fake/requests",
    "/_fake/console",
    "/_fake/profile",
]


def _litellm(**options: object) -> Starlette:
    profile, release = resolve_litellm_profile("1.110.2", None)
    deployment = Deployment(
        model_name="fake-model", provider="openai", upstream_model="fake-model", api_base=None
    )
    config = LitellmConfig(profile=profile, version=release, deployments=(deployment,))
    return create_litellm_app(dataclasses.replace(config, **options))  # type: ignore[arg-type]


def _apps(**options: object) -> list[Starlette]:
    return [create_vllm_app(vllm_config("0.9.2", **options)), _litellm(**options)]


@asynccontextmanager
async def _client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        yield client


@pytest.mark.parametrize("app", _apps(control_token=TOKEN), ids=["vllm", "litellm"])
async def test_every_control_route_needs_the_token(app: Starlette) -> None:
    async with _client(app) as client:
        for route in ROUTES:
            client.cookies.clear()  # a ?token= below leaves its cookie
            refused = await client.get(route)
            assert refused.status_code == 401, route
            assert "Authorization: Bearer" in refused.json()["detail"]
            wrong = await client.get(route, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert (await client.get(route, params={"token": "nope"})).status_code == 401
            query = await client.get(route, params={"token": TOKEN})
            assert query.status_code == (303 if route == "/_fake/ui" else 200)
            bearer = await client.get(route, headers={"Authorization": f"Bearer {TOKEN}"})
            assert bearer.status_code == 200, route
        client.cookies.clear()
        assert (await client.post("/_fake/reset")).status_code == 401
        # the OpenAI routes are not the control plane's business
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200


@pytest.mark.parametrize("app", _apps(control_token=TOKEN), ids=["vllm", "litellm"])
async def test_the_page_takes_the_token_once_then_its_cookie_carries_it(app: Starlette) -> None:
    async with _client(app) as client:
        page = await client.get("/_fake/ui", params={"token": TOKEN})
        assert page.status_code == 303 and page.headers["location"] == "/_fake/ui"
        cookie = page.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie and "Path=/_fake" in cookie
        assert TOKEN not in cookie  # a digest, never the token itself
        # the page itself and its own fetches: the cookie alone is enough
        assert (await client.get("/_fake/ui")).status_code == 200
        assert (await client.get("/_fake/console")).status_code == 200
        client.cookies.clear()
        assert (await client.get("/_fake/console")).status_code == 401
        client.cookies.set(COOKIE, "0" * 64)
        assert (await client.get("/_fake/console")).status_code == 401


@pytest.mark.parametrize(
    "app", _apps(control_plane=False, control_token=TOKEN), ids=["vllm", "litellm"]
)
async def test_no_control_plane_still_disables_it_all(app: Starlette) -> None:
    async with _client(app) as client:
        for route in [*ROUTES, "/_fake/events"]:
            answer = await client.get(route, headers={"Authorization": f"Bearer {TOKEN}"})
            assert answer.status_code == 404, route
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200


@pytest.mark.parametrize("app", _apps(), ids=["vllm", "litellm"])
async def test_without_a_token_the_control_plane_is_open(app: Starlette) -> None:
    async with _client(app) as client:
        page = await client.get("/_fake/ui")
        assert page.status_code == 200 and "set-cookie" not in page.headers


def test_an_empty_token_is_refused_by_the_cli() -> None:
    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(main, ["serve", "vllm", "--control-token", " "])
    assert result.exit_code == 2 and "an empty token would protect nothing" in result.output

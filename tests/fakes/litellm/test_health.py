"""The keyed /health: 1.110's display entries, probed once; 1.74's deployment params, probed
with the openai client's own retries (recordings/litellm/router-litellm-*.json hold both to
the real proxies)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fakes.litellm import Deployment, _health_params, _sdk_retry
from tests.fakes.litellm.conftest import AUTH

VLLM_500 = {"object": "error", "message": "down", "type": "InternalServerError", "code": 500}


def _upstream(status: int, headers: dict[str, str] | None = None) -> tuple[Starlette, list[str]]:
    """Every chat request answered with ``status`` (vLLM's error body); the requests kept."""
    seen: list[str] = []

    async def chat(request: Request) -> JSONResponse:
        seen.append(request.headers["authorization"])
        return JSONResponse(VLLM_500 | {"code": status}, status, headers=headers)

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])]), seen


async def _health(stack: Any, version: str, upstream: Starlette) -> dict[str, Any]:
    async with stack(version, upstream=upstream) as s:
        response = await s.client.get("/health", headers=AUTH)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body


async def test_174_probes_a_failing_deployment_three_times_and_lists_its_params(
    stack: Any,
) -> None:
    app, seen = _upstream(500, {"retry-after-ms": "1"})  # the client's wait, kept short
    body = await _health(stack, "1.74.15", app)
    assert len(seen) == 3
    assert (body["healthy_count"], body["unhealthy_count"]) == (0, 1)
    entry = body["unhealthy_endpoints"][0]
    assert list(entry) == [
        "api_base", "use_in_pass_through", "use_litellm_proxy",
        "merge_reasoning_content_in_choices", "model", "litellm_metadata", "cache", "error",
        "raw_request_typed_dict",
    ]  # fmt: skip
    head, _, trace = entry["error"].partition("\nstack trace: ")
    assert head == "litellm.InternalServerError: InternalServerError: Hosted_vllmException - down"
    assert trace.startswith("Traceback (most recent call last):\n  File ")
    assert len(trace) == _health_params.TRACE_LIMIT
    raw = entry["raw_request_typed_dict"]
    assert raw["raw_request_api_base"] == entry["api_base"] + "/"
    assert raw["raw_request_headers"] == {"Authorization": seen[0]}  # not masked
    assert raw["raw_request_body"]["extra_body"] == {}
    assert "max_tokens" not in raw["raw_request_body"]


@pytest.mark.parametrize(
    ("status", "headers"), [(400, {}), (500, {"x-should-retry": "false"})], ids=["400", "told"]
)
async def test_174_sends_no_retry_where_the_openai_client_would_not(
    stack: Any, status: int, headers: dict[str, str]
) -> None:
    app, seen = _upstream(status, headers)
    body = await _health(stack, "1.74.15", app)
    assert len(seen) == 1
    error = body["unhealthy_endpoints"][0]["error"]
    named = "BadRequestError: " if status == 400 else "InternalServerError: InternalServerError: "
    assert error.startswith(f"litellm.{named}Hosted_vllmException - down\n")


async def test_110_probes_once_and_shows_its_display_entry(stack: Any) -> None:
    app, seen = _upstream(500, {"retry-after-ms": "1"})
    body = await _health(stack, "1.110.2", app)
    assert len(seen) == 1
    entry = body["unhealthy_endpoints"][0]
    assert list(entry)[-2:] == ["model_id", "exception_status"]
    assert "stack trace" not in entry["error"]


def test_params_follow_litellm_params_field_order() -> None:
    deployment = Deployment(
        "g", "openai", "m", api_base="http://a/v1", rpm=3, tpm=40, weight=0.5, mock_response="hi"
    )
    assert list(_health_params.params(deployment)) == [
        "api_base", "tpm", "rpm", "use_in_pass_through", "use_litellm_proxy",
        "merge_reasoning_content_in_choices", "mock_response", "model", "weight",
        "litellm_metadata", "cache",
    ]  # fmt: skip


@pytest.mark.parametrize("connection", [False, True])
def test_each_trace_fills_the_cut(connection: bool) -> None:
    assert len(_health_params.trace(connection)) == _health_params.TRACE_LIMIT


@pytest.mark.parametrize(
    ("status", "headers", "retried"),
    [
        (500, {}, True),
        (503, {}, True),
        (429, {}, True),
        (408, {}, True),
        (409, {}, True),
        (400, {}, False),
        (404, {}, False),
        (400, {"x-should-retry": "true"}, True),
        (500, {"retry-after": "121"}, False),
        (500, {"retry-after": "120"}, True),
    ],
)
def test_which_failures_the_openai_client_retries(
    status: int, headers: dict[str, str], retried: bool
) -> None:
    assert _sdk_retry.should_retry(status, headers) is retried


@pytest.mark.parametrize(("taken", "base"), [(0, 0.5), (1, 1.0), (2, 2.0), (5, 8.0), (9, 8.0)])
def test_the_openai_clients_backoff(taken: int, base: float) -> None:
    draw = random.Random(taken)
    for _ in range(20):
        assert 0.75 * base <= _sdk_retry.delay(taken, {}, draw) <= base


def test_a_servers_retry_after_is_waited() -> None:
    draw = random.Random(0)
    assert _sdk_retry.delay(0, {"retry-after-ms": "250"}, draw) == 0.25
    assert _sdk_retry.delay(0, {"retry-after": "3"}, draw) == 3.0
    assert _sdk_retry.delay(0, {"retry-after": "0"}, draw) <= 0.5  # not positive: backoff


async def test_the_two_knobs_alone_make_1_110_probe_like_1_74(stack: Any) -> None:
    app, seen = _upstream(500, {"retry-after-ms": "1"})
    async with stack("1.110.2", upstream=app) as s:
        s.proxy.state.fake.set_knobs({"health_entries": "params", "health_probe_retries": 1})
        entry = (await s.client.get("/health", headers=AUTH)).json()["unhealthy_endpoints"][0]
    assert len(seen) == 2
    assert "\nstack trace: Traceback" in entry["error"] and "model_id" not in entry

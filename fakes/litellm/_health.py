"""The keyed ``/health``: every deployment (or one group's, ``?model=``) called at once with a
short chat request; the answers sorted into healthy and unhealthy endpoints.

The body as the real 1.110.2 writes it (recordings/litellm/router-litellm-1.110.2.json):
display fields ``api_base``, ``model``; an unhealthy one adds ``error`` (the wrapped
upstream error with its raw body), ``raw_request_typed_dict`` (the probe, its Authorization
masked like litellm_logging's ``get_masked_values``), ``exception_status``; ``model_id``
closes each entry. The probe's prompt is one of two, drawn at random
(``proxy/health_check.py``); the fake draws it from its seeded router random.

1.74 lists the deployments' params instead (``health_entries``, ``_health_params``), and its
probe is the openai client's own call, retried by that client (``health_probe_retries``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.litellm import _errors, _health_params, _sdk_retry
from fakes.litellm._config import Deployment
from fakes.litellm._routes import check_key
from fakes.litellm._state import LitellmState
from fakes.profiles import HealthEntries

PROMPTS = ("Hey how's it going?", "What's 1 + 1?")
MAX_TOKENS = 16
CONNECTION_ERROR = "Connection error."  # the openai client's APIConnectionError


def _masked(value: str) -> str:
    return "*****" if len(value) <= 4 else f"{value[:2]}****{value[-2:]}"


@dataclass
class _Outcome:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    connection: bool = False  # the upstream was not reached


async def _call(
    state: LitellmState, url: str, body: dict[str, Any], headers: dict[str, str]
) -> _Outcome:
    try:
        response = await state.client().post(url, content=orjson.dumps(body), headers=headers)
    except httpx.TransportError as exc:
        return _Outcome(500, str(exc) or type(exc).__name__, connection=True)
    return _Outcome(response.status_code, response.text, dict(response.headers))


async def _call_retried(
    state: LitellmState, url: str, body: dict[str, Any], headers: dict[str, str]
) -> _Outcome:
    """The probe, sent again as the openai client would (``health_probe_retries`` times)."""
    retries = state.knobs.health_probe_retries
    for taken in range(retries + 1):
        outcome = await _call(state, url, body, headers)
        if outcome.status < 400 or taken == retries:
            return outcome
        if not (outcome.connection or _sdk_retry.should_retry(outcome.status, outcome.headers)):
            return outcome
        await asyncio.sleep(_sdk_retry.delay(taken, outcome.headers, state.fleet.random))
    raise AssertionError("unreachable: the last attempt returns")


async def _probe(state: LitellmState, deployment: Deployment) -> dict[str, Any]:
    params = state.knobs.health_entries is HealthEntries.PARAMS
    entry: dict[str, Any] = {"model": deployment.model}
    if deployment.api_base is not None:
        entry = {"api_base": deployment.api_base, **entry}
    if params:
        entry = _health_params.params(deployment)
    if deployment.answers_itself:
        return entry if params else {**entry, "model_id": deployment.model_id}
    prompt = state.fleet.random.choice(PROMPTS)
    body: dict[str, Any] = {
        "model": deployment.upstream_model,
        "messages": [{"role": "user", "content": prompt}],
    }
    if not params:
        body["max_tokens"] = MAX_TOKENS
    authorization = f"Bearer {deployment.api_key or 'fake-api-key'}"
    url = f"{deployment.api_base}/chat/completions"
    headers = {"Authorization": authorization, "Content-Type": "application/json"}
    outcome = await _call_retried(state, url, body, headers)
    if outcome.status < 400:
        return entry if params else {**entry, "model_id": deployment.model_id}
    cls = _errors.error_class(outcome.status)
    named = f"{cls}: " if cls != "BadRequestError" else ""
    head = f"litellm.{cls}: {named}{deployment.exception_prefix} - "
    if params:
        if outcome.connection:
            message = CONNECTION_ERROR
        else:
            message = _errors.sdk_message(outcome.status, outcome.text)
        return _health_params.failed(
            deployment, head + message, body, authorization, outcome.connection
        )
    return {
        **entry,
        "error": head + outcome.text,
        "raw_request_typed_dict": {
            "raw_request_api_base": url,
            "raw_request_body": body,
            "raw_request_headers": {
                "Authorization": _masked(authorization),
                "Content-Type": "application/json",
            },
            "error": None,
        },
        "model_id": deployment.model_id,
        "exception_status": outcome.status,
    }


def _targeted(state: LitellmState, model: str | None) -> list[Deployment]:
    """The deployments ``?model=`` names: by group name, else by ``litellm_params.model``
    (1.110.2 proxy/health_check.py:367-373), or the other way round
    (``health_model_by_provider_first``, 1.74.15.post2 health_check.py:164-170); then each
    deployment once, the first listed kept (``filter_deployments_by_id``)."""
    listed = state.config.model_list
    if model is not None:
        by_name = [d for d in listed if d.model_name == model]
        by_provider = [d for d in listed if d.model == model]
        first, second = by_name, by_provider
        if state.knobs.health_model_by_provider_first:
            first, second = by_provider, by_name
        listed = tuple(first or second)
    seen: set[str] = set()
    out = []
    for deployment in listed:
        if deployment.model_id not in seen:
            seen.add(deployment.model_id)
            out.append(deployment)
    return out


async def health(request: Request) -> Response:
    state: LitellmState = request.app.state.fake
    try:
        check_key(state, request)
    except _errors.ProxyError as error:
        return error.response()
    deployments = _targeted(state, request.query_params.get("model"))
    results = await asyncio.gather(*(_probe(state, d) for d in deployments))
    healthy = [r for r in results if "error" not in r]
    unhealthy = [r for r in results if "error" in r]
    body = {
        "healthy_endpoints": healthy,
        "unhealthy_endpoints": unhealthy,
        "healthy_count": len(healthy),
        "unhealthy_count": len(unhealthy),
    }
    return Response(orjson.dumps(body), media_type="application/json")

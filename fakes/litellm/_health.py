"""The keyed ``/health``: every deployment (or one group's, ``?model=``) called at once with a
short chat request; the answers sorted into healthy and unhealthy endpoints.

The body as the real 1.110.2 writes it (recordings/litellm/router-litellm-1.110.2.json):
display fields ``api_base``, ``model``; an unhealthy one adds ``error`` (the wrapped
upstream error with its raw body), ``raw_request_typed_dict`` (the probe, its Authorization
masked like litellm_logging's ``get_masked_values``), ``exception_status``; ``model_id``
closes each entry. The probe's prompt is one of two, drawn at random
(``proxy/health_check.py``); the fake draws it from its seeded router random.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.litellm import _errors
from fakes.litellm._config import Deployment
from fakes.litellm._routes import check_key
from fakes.litellm._state import LitellmState

PROMPTS = ("Hey how's it going?", "What's 1 + 1?")
MAX_TOKENS = 16


def _masked(value: str) -> str:
    return "*****" if len(value) <= 4 else f"{value[:2]}****{value[-2:]}"


async def _probe(state: LitellmState, deployment: Deployment) -> dict[str, Any]:
    entry: dict[str, Any] = {"model": deployment.model}
    if deployment.api_base is not None:
        entry = {"api_base": deployment.api_base, **entry}
    if deployment.answers_itself:
        return {**entry, "model_id": deployment.model_id}
    prompt = state.fleet.random.choice(PROMPTS)
    body = {
        "model": deployment.upstream_model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": MAX_TOKENS,
    }
    authorization = f"Bearer {deployment.api_key or 'fake-api-key'}"
    url = f"{deployment.api_base}/chat/completions"
    headers = {"Authorization": authorization, "Content-Type": "application/json"}
    try:
        response = await state.client().post(url, content=orjson.dumps(body), headers=headers)
        status, text = response.status_code, response.text
    except httpx.TransportError as exc:
        status, text = 500, str(exc) or type(exc).__name__
    if status < 400:
        return {**entry, "model_id": deployment.model_id}
    cls = _errors.error_class(status)
    named = f"{cls}: " if cls != "BadRequestError" else ""
    return {
        **entry,
        "error": f"litellm.{cls}: {named}{deployment.exception_prefix} - {text}",
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
        "exception_status": status,
    }


async def health(request: Request) -> Response:
    state: LitellmState = request.app.state.fake
    try:
        check_key(state, request)
    except _errors.ProxyError as error:
        return error.response()
    model = request.query_params.get("model")
    deployments = [d for d in state.config.deployments if model is None or d.model_name == model]
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

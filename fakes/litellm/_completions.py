"""``/v1/completions``: forwarded to the upstream's ``/completions`` and re-written the way
each release does it (seen in the conformance recordings, fake vLLM 0.9 and 0.24 upstreams)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx
import orjson

from fakes.http import sse
from fakes.litellm._bodies import prompt_details
from fakes.litellm._config import Deployment
from fakes.profiles import LitellmKnobs
from fakes.types import JSONObject

# litellm's TextChoices fields, after whatever else the upstream's choice carries
_CHOICE = ("finish_reason", "index", "text", "logprobs")
_USAGE = ("completion_tokens", "prompt_tokens", "total_tokens")
_USAGE_DETAILS = ("completion_tokens_details", "prompt_tokens_details")
_TOP = ("id", "object", "created", "model", "choices", "usage")
ZERO_USAGE = {"completion_tokens": 0, "prompt_tokens": 0, "total_tokens": 0}


def _model(knobs: LitellmKnobs, deployment: Deployment) -> str:
    """1.110 the alias; 1.74 the upstream model without the provider prefix."""
    return deployment.model_name if knobs.completions_alias else deployment.upstream_model


def completion_body(
    knobs: LitellmKnobs, deployment: Deployment, upstream: JSONObject
) -> JSONObject:
    choices = []
    for choice in upstream.get("choices") or []:
        out: JSONObject = {k: v for k, v in choice.items() if k not in _CHOICE}
        out |= {key: choice.get(key) for key in _CHOICE}
        choices.append(out)
    usage = upstream.get("usage") or {}
    body: JSONObject = {
        "id": upstream.get("id", f"cmpl-{uuid.uuid4().hex}"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": _model(knobs, deployment),
        "choices": choices,
        "usage": {key: usage.get(key, 0) for key in _USAGE}
        | {key: usage.get(key) for key in _USAGE_DETAILS},
        "system_fingerprint": upstream.get("system_fingerprint"),
    }
    body["usage"]["prompt_tokens_details"] = prompt_details(
        knobs, body["usage"]["prompt_tokens_details"]
    )
    body |= {k: v for k, v in upstream.items() if k not in _TOP and k not in body}
    return body


def _chunks(
    knobs: LitellmKnobs, deployment: Deployment, upstream: JSONObject, created: int
) -> list[JSONObject]:
    """One upstream chunk as the proxy's: text and finish apart, vLLM's own keys only on a
    chunk that finished (1.110), or a fresh id and zero usage on every chunk (1.74)."""
    out: list[JSONObject] = []

    def chunk(choice: JSONObject) -> JSONObject:
        if knobs.completions_alias:
            ident = str(upstream.get("id", ""))
            out: JSONObject = {
                "id": ident,
                "object": "text_completion",
                "created": created,
                "model": _model(knobs, deployment),
                "choices": [choice],
            }
            if knobs.completions_chunk_usage:
                out["usage"] = dict(ZERO_USAGE)
            return out
        # 1.74: a fresh id on every chunk; 1.80: the upstream's
        fresh = f"chatcmpl-{uuid.uuid4()}"
        return {
            "id": str(upstream.get("id", fresh)) if knobs.completion_stream_upstream_id else fresh,
            "object": "text_completion",
            "created": created,
            "model": _model(knobs, deployment),
            "choices": [choice],
            "usage": dict(ZERO_USAGE),
        }

    for choice in upstream.get("choices") or []:
        index = choice.get("index", 0)
        finish = choice.get("finish_reason")
        keep = (
            finish
            and knobs.completions_alias
            and knobs.completion_chunk_stop_reason
            and not knobs.completions_chunk_usage
        )
        extras = {k: v for k, v in choice.items() if k == "stop_reason" and keep}
        text = choice.get("text")
        if text:
            out.append(chunk({"index": index, "text": text, **extras}))
        if finish:
            out.append(chunk({"finish_reason": finish, "index": index, **extras}))
    return out


async def completion_stream(
    knobs: LitellmKnobs,
    deployment: Deployment,
    response: httpx.Response,
    close: Callable[[], Any],
) -> AsyncGenerator[bytes, None]:
    created = int(time.time())
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            try:
                data = orjson.loads(payload)
            except orjson.JSONDecodeError:
                continue
            if isinstance(data, dict):
                for chunk in _chunks(knobs, deployment, data, created):
                    yield sse.data(chunk)
        yield sse.DONE
    except httpx.HTTPError:
        yield sse.DONE
    finally:
        await close()

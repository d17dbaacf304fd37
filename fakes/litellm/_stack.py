"""Profile resolution and the in-process stack: a fake LiteLLM in front of any ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from fakes.litellm._config import Deployment, LitellmConfig
from fakes.litellm.app import create_litellm_app
from fakes.profiles import LitellmProfile, builtin, resolve
from fakes.transports.streaming import StreamingASGITransport

DEFAULT_LITELLM_VERSION = "1.110.2"
STACK_API_BASE = "http://upstream.fake/v1"

# The provider a LiteLLM user configures for each server, per LiteLLM's docs: hosted_vllm/ for
# vLLM; openai/ with an api_base for SGLang's and llama-server's OpenAI routes. For Ollama the
# docs recommend ollama_chat/ (its native /api/chat), which the fake does not imitate: the
# stack puts Ollama behind openai/ on its /v1 routes.
UPSTREAM_PROVIDERS = {
    "vllm": "hosted_vllm",
    "sglang": "openai",
    "ollama": "openai",
    "llamacpp": "openai",
}


def resolve_litellm_profile(version: str | None, profile: str | None) -> tuple[LitellmProfile, str]:
    """The profile for a release (any number, e.g. 1.74.15) or a named / YAML profile."""
    return resolve(builtin("litellm"), version, DEFAULT_LITELLM_VERSION, profile)


def stack_app(
    litellm_version: str,
    upstream: ASGIApp,
    *,
    model: str = "fake-model",
    upstream_model: str | None = None,
    master_key: str | None = None,
    provider: str = "hosted_vllm",
) -> Starlette:
    """A fake LiteLLM with one deployment (``hosted_vllm`` unless told) served by ``upstream``
    in process (no sockets), through a streaming transport: chunks, cuts and stalls reach the
    proxy as they would over a socket."""
    profile, release = resolve_litellm_profile(litellm_version, None)
    deployment = Deployment(
        model_name=model,
        provider=provider,
        upstream_model=upstream_model or model,
        api_base=STACK_API_BASE,
    )
    config = LitellmConfig(
        profile=profile, version=release, deployments=(deployment,), master_key=master_key
    )
    return create_litellm_app(config, transport=StreamingASGITransport(upstream))

"""Build a fake app from a backend name, a release and config overrides (fixtures, tools)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from fakes.profiles import ProfileError
from fakes.profiles.versions import VersionError

BACKENDS = ("vllm", "litellm")


class FakeBuildError(ValueError):
    pass


@dataclass(frozen=True)
class Built:
    app: Starlette
    release: str
    upstream: Built | None = None  # the fake vLLM behind a fake LiteLLM


def build_fake(backend: str, version: str | None, config: Mapping[str, Any]) -> Built:
    """``vllm``: config is VllmConfig fields. ``litellm``: a fake LiteLLM in front of an
    in-process fake vLLM; config keys ``vllm_version``, ``master_key`` and ``vllm`` (a
    mapping of VllmConfig fields)."""
    from pydantic import ValidationError

    try:
        if backend == "vllm":
            return _vllm(version, config)
        if backend == "litellm":
            return _litellm(version, config)
    except (ProfileError, VersionError) as exc:
        raise FakeBuildError(str(exc)) from None
    except (TypeError, ValidationError) as exc:
        raise FakeBuildError(f"bad config for the fake {backend}: {exc}") from None
    raise FakeBuildError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")


def _vllm(version: str | None, config: Mapping[str, Any]) -> Built:
    from fakes.profiles import resolve_vllm_profile
    from fakes.vllm import VllmConfig, create_vllm_app

    profile, release = resolve_vllm_profile(version, None)
    return Built(create_vllm_app(VllmConfig(profile=profile, version=release, **config)), release)


def _litellm(version: str | None, config: Mapping[str, Any]) -> Built:
    from fakes.litellm import DEFAULT_LITELLM_VERSION, resolve_litellm_profile, stack_app

    unknown = set(config) - {"vllm_version", "master_key", "vllm"}
    if unknown:
        raise TypeError(f"unknown keys {sorted(unknown)}; known: master_key, vllm, vllm_version")
    upstream = _vllm(config.get("vllm_version"), config.get("vllm", {}))
    _, release = resolve_litellm_profile(version or DEFAULT_LITELLM_VERSION, None)
    app = stack_app(release, upstream.app, master_key=config.get("master_key"))
    return Built(app, release, upstream)

"""Build a fake app from a backend name, a release and config overrides (fixtures, tools)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette

from fakes.profiles import ProfileError
from fakes.versions import VersionError

BACKENDS = ("vllm",)


class FakeBuildError(ValueError):
    pass


def build_fake(
    backend: str, version: str | None, config: Mapping[str, Any]
) -> tuple[Starlette, str]:
    from pydantic import ValidationError

    from fakes.cli import resolve_vllm_profile
    from fakes.vllm import VllmConfig, create_vllm_app

    if backend != "vllm":
        raise FakeBuildError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    try:
        profile, release = resolve_vllm_profile(version, None)
        return create_vllm_app(VllmConfig(profile=profile, version=release, **config)), release
    except (ProfileError, VersionError) as exc:
        raise FakeBuildError(str(exc)) from None
    except (TypeError, ValidationError) as exc:
        raise FakeBuildError(f"bad config for the fake {backend}: {exc}") from None

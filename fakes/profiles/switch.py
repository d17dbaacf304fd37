"""A running fake's profile as its control plane changes it: knob overrides on top of the
configured profile, or another built-in profile of the same backend."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

from fakes.profiles._model import BaseProfile
from fakes.profiles._registry import builtin, with_knobs

P = TypeVar("P", bound=BaseProfile)


class ProfileSwitch(Generic[P]):
    """``base`` is the profile before overrides, ``profile`` the one in force, ``version``
    the release the fake reports. Each backend's state mixes this in; ``use_profile`` sets
    the three (its ``reset`` calls it with the configured profile)."""

    def use_profile(self, profile: P, version: str) -> None:
        self.base: P = profile
        self.profile: P = profile
        self.version = version
        self.knob_overrides: dict[str, Any] = {}

    def set_knobs(self, overrides: dict[str, Any]) -> None:
        merged = {**self.knob_overrides, **overrides}
        self.profile = with_knobs(self.base, merged)
        self.knob_overrides = merged

    def set_profile(self, name: str) -> None:
        """Switch to a built-in profile of the same backend: its reference release is the
        version reported from then on, and knob overrides are dropped."""
        chosen = cast(P, builtin(self.base.backend).get(name))
        self.use_profile(chosen, self.reported_version(chosen))

    def reported_version(self, profile: P) -> str:
        return profile.reference

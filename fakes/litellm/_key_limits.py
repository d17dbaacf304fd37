"""Virtual keys the fake knows without a database: ``general_settings.llm_fakes_keys``, each
key's ``rpm_limit``, ``tpm_limit`` and ``max_parallel_requests`` (the fields of LiteLLM's
``UserAPIKeyAuth`` that its parallel request limiter reads; a real proxy gets them from a
``/key/generate`` key or from a ``custom_auth`` function)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

SETTING = "llm_fakes_keys"


@dataclass(frozen=True)
class KeyLimits:
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None

    def headers(self) -> list[tuple[str, str]]:
        """What every answer says of the key before x-litellm-key-spend (get_custom_headers,
        1.110.2 proxy/common_request_processing.py:2441-2443, 1.74.15 :215-217; a key without
        a max_budget has no x-litellm-key-max-budget)."""
        limits = (("tpm", self.tpm_limit), ("rpm", self.rpm_limit))
        return [(f"x-litellm-key-{kind}-limit", str(v)) for kind, v in limits if v is not None]


FIELDS = tuple(f.name for f in fields(KeyLimits))
Fail = Callable[[tuple[Any, ...], str], Exception]


def read_keys(value: Any, fail: Fail) -> dict[str, KeyLimits]:
    """``{key: {rpm_limit: N, tpm_limit: N, max_parallel_requests: N}}``: unknown fields and
    anything but non-negative integers are refused, naming the key."""
    path: tuple[Any, ...] = ("general_settings", SETTING)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(path, f"general_settings.{SETTING} must map each key to its limits")
    keys: dict[str, KeyLimits] = {}
    for key, limits in value.items():
        where = (*path, key)
        if not isinstance(key, str) or not key:
            raise fail(where, f"general_settings.{SETTING}: a key must be a non-empty string")
        if limits is None:
            limits = {}
        if not isinstance(limits, Mapping):
            raise fail(where, f"general_settings.{SETTING}.{key} must be a mapping")
        unknown = sorted(set(limits) - set(FIELDS))
        if unknown:
            raise fail(
                where,
                f"general_settings.{SETTING}.{key}: unknown field {unknown[0]!r}; valid: "
                + ", ".join(FIELDS),
            )
        for name, number in limits.items():
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise fail(
                    (*where, name),
                    f"general_settings.{SETTING}.{key}.{name} must be a non-negative integer",
                )
        keys[key] = KeyLimits(**limits)
    return keys

"""``router_settings`` (or ``litellm_settings``) keys that shape routing, read into a frozen
value; every error names the file and line like the rest of the config."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

ROUTER_KEYS = frozenset(
    {
        "routing_strategy",
        "allowed_fails",
        "fallbacks",
        "context_window_fallbacks",
        "content_policy_fallbacks",
        "retry_after",
        "llm_fakes_seed",
        "model_group_alias",
        "default_fallbacks",
        "retry_policy",
        "allowed_fails_policy",
    }
)


class Strategy(StrEnum):
    SIMPLE_SHUFFLE = "simple-shuffle"
    LEAST_BUSY = "least-busy"
    LATENCY = "latency-based-routing"
    USAGE_V2 = "usage-based-routing-v2"


@dataclass(frozen=True)
class RouterSettings:
    strategy: Strategy = Strategy.SIMPLE_SHUFFLE
    allowed_fails: int = 3  # litellm.allowed_fails
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context_window_fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    content_policy_fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    retry_after: float = 0.0  # the backoff's floor (router_settings.retry_after)
    # a name clients may send -> the model group that serves it
    model_group_alias: Mapping[str, str] = field(default_factory=dict)
    default_fallbacks: tuple[str, ...] = ()  # for a group without its own fallbacks entry
    # per exception type (BadRequestError, ...): retries, and failures a minute before cooldown
    retry_policy: Mapping[str, int] = field(default_factory=dict)
    allowed_fails_policy: Mapping[str, int] = field(default_factory=dict)
    seed: int = 0  # the fake's own: weighted picks and jitter are drawn from it


Fail = Callable[[tuple[Any, ...], str], Exception]
Number = Callable[[Any, tuple[Any, ...], type[int] | type[float]], Any]


def _fallbacks(value: Any, path: tuple[Any, ...], fail: Fail) -> dict[str, tuple[str, ...]]:
    """``[{"group": ["other", ...]}, ...]``, LiteLLM's form."""
    where = ".".join(map(str, path))
    if not isinstance(value, list):
        raise fail(path, f'{where} must be a list like [{{"my-group": ["other-group"]}}]')
    out: dict[str, tuple[str, ...]] = {}
    for item in value:
        if not isinstance(item, dict) or len(item) != 1:
            raise fail(path, f"{where}: each entry maps one model group to a list of groups")
        ((group, targets),) = item.items()
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise fail(path, f"{where}.{group} must be a list of model group names")
        out[str(group)] = tuple(targets)
    return out


ERROR_TYPES = (
    "BadRequestError",
    "AuthenticationError",
    "TimeoutError",
    "RateLimitError",
    "ContentPolicyViolationError",
    "InternalServerError",
)  # LiteLLM's RetryPolicy / AllowedFailsPolicy fields, in the order it tests them


def _policy(
    value: Any, path: tuple[Any, ...], suffix: str, fail: Fail, number: Number
) -> dict[str, int]:
    """``{"InternalServerErrorRetries": 1, ...}``: each key an exception type and ``suffix``."""
    where = ".".join(map(str, path))
    valid = [f"{name}{suffix}" for name in ERROR_TYPES]
    if not isinstance(value, dict):
        raise fail(path, f"{where} must map exception types to numbers, like {{{valid[0]!r}: 1}}")
    out: dict[str, int] = {}
    for key, count in value.items():
        if key not in valid:
            raise fail((*path, key), f"{where}.{key} is not one of: {', '.join(valid)}")
        out[key.removesuffix(suffix)] = number(count, (*path, key), int)
    return out


def _aliases(value: Any, path: tuple[Any, ...], fail: Fail) -> dict[str, str]:
    """``{"alias": "group"}``; LiteLLM's other form, ``{"model": ..., "hidden": ...}``, is not
    imitated."""
    where = ".".join(map(str, path))
    if not isinstance(value, dict):
        raise fail(path, f'{where} must map names to model groups, like {{"gpt-4o": "my-group"}}')
    for alias, group in value.items():
        if not isinstance(group, str):
            raise fail(
                (*path, alias),
                f"{where}.{alias} must name a model group (the fake does not support the "
                '{"model": ..., "hidden": ...} form)',
            )
    return {str(alias): group for alias, group in value.items()}


def read_router(
    current: RouterSettings,
    settings: Mapping[str, Any],
    section: str,
    fail: Fail,
    number: Number,
) -> RouterSettings:
    changes: dict[str, Any] = {}
    if "routing_strategy" in settings:
        value = settings["routing_strategy"]
        valid = [s.value for s in Strategy]
        if value not in valid:
            raise fail(
                (section, "routing_strategy"),
                f"{section}.routing_strategy {value!r} is not supported by the fake; "
                f"valid: {', '.join(valid)}",
            )
        changes["strategy"] = Strategy(value)
    if "allowed_fails" in settings:
        changes["allowed_fails"] = number(
            settings["allowed_fails"], (section, "allowed_fails"), int
        )
    if "retry_after" in settings:
        changes["retry_after"] = number(settings["retry_after"], (section, "retry_after"), float)
    if "llm_fakes_seed" in settings:
        changes["seed"] = number(settings["llm_fakes_seed"], (section, "llm_fakes_seed"), int)
    if "model_group_alias" in settings:
        changes["model_group_alias"] = _aliases(
            settings["model_group_alias"], (section, "model_group_alias"), fail
        )
    if "default_fallbacks" in settings:
        value = settings["default_fallbacks"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            path = (section, "default_fallbacks")
            raise fail(path, f"{section}.default_fallbacks must be a list of model group names")
        changes["default_fallbacks"] = tuple(value)
    for key, suffix in (("retry_policy", "Retries"), ("allowed_fails_policy", "AllowedFails")):
        if key in settings:
            changes[key] = _policy(settings[key], (section, key), suffix, fail, number)
    for key in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks"):
        if key in settings:
            changes[key] = _fallbacks(settings[key], (section, key), fail)
    return replace(current, **changes)

"""LiteLLM 1.110's refusal to start with an unset, empty or publicly known master key.

The verdict, headline and fix text follow ``litellm/proxy/auth/master_key_boot_check.py``
(1.110.2) for a proxy without a database (the fake has none, so no secrets migration).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

OVERRIDE_SETTING = "dangerously_permit_weak_or_unset_master_key"
OVERRIDE_ENV = "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY"
KEY_ENV = "LITELLM_MASTER_KEY"
# sha256 of the key LiteLLM's docs use everywhere
PUBLICLY_KNOWN = frozenset({"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"})
# What the real proxy exits with: uvicorn's code for a failed lifespan startup.
EXIT_CODE = 3
_NEW_KEY = "sk-$(openssl rand -hex 32)"


class Reason(Enum):
    NOT_SET = "no master key is set, so every request would be accepted without authentication."
    EMPTY = "the master key is empty."
    PUBLICLY_KNOWN = "the master key is a publicly known default."


class UnsafeMasterKeyError(ValueError):
    """The proxy refuses to start; ``refusal`` is the text it prints to stderr at exit."""

    def __init__(self, reason: Reason, refusal: str) -> None:
        super().__init__(
            f"LiteLLM proxy refused to start: {reason.value} "
            "The fix is printed once the server exits."
        )
        self.reason = reason
        self.refusal = refusal


def unsafe_reason(master_key: str | None) -> Reason | None:
    if master_key is None:
        return Reason.NOT_SET
    stripped = master_key.strip()
    if not stripped:
        return Reason.EMPTY
    if hashlib.sha256(stripped.encode()).hexdigest() in PUBLICLY_KNOWN:
        return Reason.PUBLICLY_KNOWN
    return None


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


@dataclass(frozen=True)
class _Refusal:
    reason: Reason
    config_path: str | None  # None: the key came (or would come) from the environment
    env_key_set: bool

    def source_line(self) -> str:
        if self.config_path is not None:
            if self.reason is Reason.NOT_SET:
                return (
                    f"general_settings.master_key in {self.config_path} is blank, or points at an "
                    "environment variable that is not set."
                )
            return f"It comes from general_settings.master_key in {self.config_path}."
        if self.reason is Reason.NOT_SET:
            return (
                "Neither general_settings.master_key nor the LITELLM_MASTER_KEY "
                "environment variable is set."
            )
        return "It comes from the LITELLM_MASTER_KEY environment variable."

    def steps(self) -> list[str]:
        steps = []
        if self.config_path is not None:
            steps.append(
                f"Make sure {self.config_path} reads the key from the environment:\n"
                "     general_settings:\n       master_key: os.environ/LITELLM_MASTER_KEY"
            )
        if self.env_key_set:
            steps.append(
                "Generate a key:\n"
                f'     echo "{_NEW_KEY}"\n'
                f"   Put it in place of the current {KEY_ENV} value wherever that is set: a shell "
                "export, your\n   container or deployment environment, or its line in .env. Do not "
                "just add it to .env, because a value\n   already exported in the environment wins "
                "over .env."
            )
        else:
            steps.append(
                "Generate a key and save it to .env:\n"
                f'     echo "{KEY_ENV}={_NEW_KEY}" | tee -a .env\n'
                "   Not using a .env file (docker run, Kubernetes, pip install)? "
                f"Pass the same value as the\n   {KEY_ENV} environment variable instead."
            )
        return steps

    def text(self) -> str:
        numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(self.steps(), start=1))
        hint = (
            f"Local development only: set {OVERRIDE_ENV}=true, or\n"
            f"general_settings.{OVERRIDE_SETTING}: true, to start anyway."
        )
        headline = f"LiteLLM proxy refused to start: {self.reason.value}\n{self.source_line()}"
        return "\n\n".join((headline, numbered, hint))


def check_master_key(
    master_key: str | None,
    general_settings: Mapping[str, object],
    config_path: str | None,
    env: Mapping[str, str],
) -> bool:
    """Raises ``UnsafeMasterKeyError`` where 1.110.2 refuses to start; ``True`` when an unsafe
    key was let through by the override (the real proxy logs a warning)."""
    reason = unsafe_reason(master_key)
    if reason is None:
        return False
    if _truthy(env.get(OVERRIDE_ENV)) or general_settings.get(OVERRIDE_SETTING) is True:
        return True
    env_key = env.get(KEY_ENV)
    relays_env = master_key is not None and master_key == env_key
    from_config = "master_key" in general_settings and not relays_env
    refusal = _Refusal(
        reason, (config_path or "your config") if from_config else None, env_key is not None
    )
    raise UnsafeMasterKeyError(reason, f"\n{refusal.text()}\n\n")

"""A fleet file: N fake vLLM replicas (each its own release, timing, queue, faults and name)
behind one fake LiteLLM, and the LiteLLM config that puts them in one model group.

The config is written as a real proxy reads it, then parsed by the fake LiteLLM like any
user's config.yaml, so ``serve fleet --print-litellm-config`` prints what the fake runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fakes.model.faults import FaultRule

FLEET_FORMAT = 1
FIRST_REPLICA_PORT = 8001
SEED_KEY = "llm_fakes_seed"  # router_settings: the fake router's seed, never a real proxy's


class FleetError(ValueError):
    """A fleet file that cannot be used; the message names the file and the field."""


class ReplicaSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str | None = None  # the vLLM release (default: the newest profile)
    profile: str | None = None
    port: int | None = Field(default=None, ge=0, le=65535)  # default: 8001, 8002, ...
    max_num_seqs: int = Field(default=256, ge=1)
    max_model_len: int = Field(default=8192, ge=16)
    ttft: float = Field(default=0.0, ge=0)
    itl: float = Field(default=0.0, ge=0)
    jitter: float = Field(default=0.0, ge=0)
    seed: int = 0
    script: str | None = None
    faults: tuple[FaultRule, ...] = ()
    # the replica's deployment in the LiteLLM config
    weight: float | None = Field(default=None, ge=0)
    rpm: int | None = Field(default=None, ge=0)
    tpm: int | None = Field(default=None, ge=0)
    max_parallel_requests: int | None = Field(default=None, ge=1)
    model_name: str | None = None  # another model group (e.g. a fallback's)


class KeySpec(BaseModel):
    """A virtual key's limits (the fake's general_settings.llm_fakes_keys)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rpm_limit: int | None = Field(default=None, ge=0)
    tpm_limit: int | None = Field(default=None, ge=0)
    max_parallel_requests: int | None = Field(default=None, ge=0)


class LitellmSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str | None = None
    port: int = Field(default=4000, ge=0, le=65535)
    master_key: str | None = None  # default: a strong random one, printed at start
    router_settings: dict[str, Any] = Field(default_factory=dict)
    keys: dict[str, KeySpec] = Field(default_factory=dict)  # virtual keys and their limits


class FleetSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = FLEET_FORMAT
    model: str = "fake-model"  # the model group clients send, and the replicas' served name
    litellm: LitellmSpec = Field(default_factory=LitellmSpec)
    replicas: tuple[ReplicaSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> FleetSpec:
        names = [r.name for r in self.replicas]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"replica names must be distinct: {', '.join(twice)}")
        if self.format != FLEET_FORMAT:
            raise ValueError(f"format {self.format} is not known (this version reads 1)")
        return self

    def port_of(self, index: int) -> int:
        given = self.replicas[index].port
        return FIRST_REPLICA_PORT + index if given is None else given


def load_fleet(path: Path) -> FleetSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FleetError(f"{path}: cannot read the fleet file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise FleetError(f"{path}: not valid YAML: {exc}") from None
    try:
        return FleetSpec.model_validate(data or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise FleetError(f"{path}: {problems}") from None


def litellm_config(
    fleet: FleetSpec, bases: list[str], master_key: str, *, for_real: bool = False
) -> str:
    """A LiteLLM config.yaml: one deployment per replica (``bases[i]`` is its URL); for a
    real proxy without the fake's own ``llm_fakes_seed`` and ``llm_fakes_keys`` (a real proxy
    takes keys' limits from a custom_auth module, docs/fleet.md)."""
    models = []
    for replica, base in zip(fleet.replicas, bases, strict=True):
        params: dict[str, Any] = {
            "model": f"hosted_vllm/{fleet.model}",
            "api_base": f"{base}/v1",
            "api_key": "none",
        }
        for key in ("weight", "rpm", "tpm", "max_parallel_requests"):
            value = getattr(replica, key)
            if value is not None:
                params[key] = value
        models.append(
            {
                "model_name": replica.model_name or fleet.model,
                "litellm_params": params,
                "model_info": {"id": replica.name},
            }
        )
    config: dict[str, Any] = {"model_list": models}
    settings = dict(fleet.litellm.router_settings)
    if for_real:
        settings.pop(SEED_KEY, None)
    if settings:
        config["router_settings"] = settings
    general: dict[str, Any] = {"master_key": master_key}
    if fleet.litellm.keys and not for_real:
        general["llm_fakes_keys"] = {
            key: limits.model_dump(exclude_none=True) for key, limits in fleet.litellm.keys.items()
        }
    config["general_settings"] = general
    return yaml.safe_dump(config, sort_keys=False)

"""One backend setup (served name, vLLM flags, script), shared by the real app and the fake.

A setup is written beside each cassette so the replay test rebuilds the same fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp

from fakes.model.script import Script
from fakes.profiles import resolve_vllm_profile
from fakes.vllm import VllmConfig, create_vllm_app

MODEL = "fake-model"
MODEL_DIR = "tiny-model"  # the real app's --model (relative: /v1/models "root")

# VllmConfig fields that are vLLM CLI flags; any other override is the fake's own
FLAGS = {
    "api_keys": "--api-key",
    "enable_auto_tool_choice": "--enable-auto-tool-choice",
    "tool_call_parser": "--tool-call-parser",
    "reasoning_parser": "--reasoning-parser",
    "max_model_len": "--max-model-len",
}


class NotMappable(ValueError):
    """A setup that only the fake has (faults, timing, canned bytes...)."""


@dataclass(frozen=True)
class Setup:
    name: str  # the scenario id or probe name
    options: dict[str, Any] = field(default_factory=dict)  # VllmConfig overrides (FLAGS keys)
    script: dict[str, Any] = field(default_factory=dict)  # a Script as JSON

    def __post_init__(self) -> None:
        unknown = set(self.options) - set(FLAGS)
        if unknown:
            raise NotMappable(f"no vLLM flag for {', '.join(sorted(unknown))}")

    def flags(self) -> list[str]:
        out = ["--served-model-name", MODEL]
        for key, flag in FLAGS.items():
            value = self.options.get(key)
            if value is None or value is False:
                continue
            if value is True:
                out.append(flag)
            elif isinstance(value, list | tuple):
                for item in value:
                    out += [flag, str(item)]
            else:
                out += [flag, str(value)]
        return out

    def flag_key(self) -> tuple[str, ...]:
        return tuple(self.flags())

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "options": self.options, "script": self.script}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Setup:
        return cls(str(value["name"]), dict(value.get("options", {})), dict(value["script"]))


def fake_config(
    version: str, setup: Setup, environment: dict[str, str] | None = None
) -> VllmConfig:
    """The fake for ``setup``, with the reference environment's FastAPI when it is known."""
    profile, release = resolve_vllm_profile(version, None)
    options = dict(setup.options)
    if "api_keys" in options:
        options["api_keys"] = tuple(options["api_keys"])
    return VllmConfig(
        profile=profile,
        version=release,
        served_model_names=(MODEL,),
        model_path=MODEL_DIR,
        script=Script.model_validate(setup.script),
        control_plane=False,
        fastapi=(environment or {}).get("fastapi"),
        **options,
    )


def fake_app(version: str, setup: Setup, environment: dict[str, str] | None = None) -> ASGIApp:
    return create_vllm_app(fake_config(version, setup, environment))

"""A fake Ollama's configuration (fixed at start) and state (changed by traffic and control)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from fakes.http.requestlog import RequestLog
from fakes.model.faults import FaultPlan, FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Timing
from fakes.profiles._ollama import OllamaKnobs, OllamaProfile
from fakes.profiles.switch import ProfileSwitch

DEFAULT_PORT = 11434  # envconfig OLLAMA_HOST default


@dataclass(frozen=True)
class OllamaConfig:
    profile: OllamaProfile
    version: str  # what /api/version reports
    models: tuple[str, ...] = ("fake-model",)  # pulled models (":latest" when untagged)
    timing: Timing = field(default_factory=Timing)
    script: Script = field(default_factory=Script)
    faults: tuple[FaultRule, ...] = ()
    seed: int | None = None  # ids (chatcmpl-N, call_x) from a seeded stream when set
    control_plane: bool = True
    control_token: str | None = None
    recordings_dir: str = "recordings"
    log_limit: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024


def full_name(name: str) -> str:
    """types/model.ParseName fills the default tag: "m" is "m:latest"."""
    base = name.rsplit("/", 1)[-1]
    return name if ":" in base else f"{name}:latest"


class OllamaState(ProfileSwitch[OllamaProfile]):
    def __init__(self, config: OllamaConfig) -> None:
        self.config = config
        self.log = RequestLog(config.log_limit)
        self.reset()

    def reset(self) -> None:
        self.use_profile(self.config.profile, self.config.version)
        self.player = ScriptPlayer(self.config.script)
        self.faults = FaultPlan(self.config.faults)
        self.clock = Clock(self.config.timing)
        self.rng = random.Random(self.config.seed)
        self.log.clear()

    @property
    def knobs(self) -> OllamaKnobs:
        return self.profile.knobs

    def model_names(self) -> list[str]:
        return [full_name(m) for m in self.config.models]

    def knows(self, model: str) -> bool:
        return full_name(model) in self.model_names()

"""A fake llama-server's configuration (its command line) and state (changed by traffic and
the control plane)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

from fakes.http.requestlog import RequestLog
from fakes.model.faults import FaultPlan, FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Scheduler, Timing
from fakes.profiles._llamacpp import LlamacppKnobs, LlamacppProfile
from fakes.profiles.switch import ProfileSwitch

_ALPHANUMERIC = string.digits + string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class LlamacppConfig:
    profile: LlamacppProfile
    build: int  # the build number bNNNN the fake reports
    model_path: str = "models/fake-model.gguf"  # -m; /v1/models names its file without an alias
    alias: str | None = None  # -a/--alias
    api_keys: tuple[str, ...] = ()
    jinja: bool | None = None  # --jinja / --no-jinja; None: the build's default
    reasoning_format: str = "deepseek"  # --reasoning-format: none keeps <think> in content
    parallel: int = 1  # -np/--parallel: slots decoding at once
    ctx_size: int = 4096  # -c/--ctx-size
    slots: bool | None = None  # --slots / --no-slots; None: the build's default
    metrics: bool = False  # --metrics
    timing: Timing = field(default_factory=Timing)
    script: Script = field(default_factory=Script)
    faults: tuple[FaultRule, ...] = ()
    control_plane: bool = True
    control_token: str | None = None
    recordings_dir: str = "recordings"
    log_limit: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024

    @property
    def model_name(self) -> str:
        """What bodies and /v1/models call the model: the alias, else the model file's name."""
        return self.alias or self.model_path.rsplit("/", 1)[-1]


class LlamacppState(ProfileSwitch[LlamacppProfile]):
    def __init__(self, config: LlamacppConfig) -> None:
        self.config = config
        self.scheduler = Scheduler(config.parallel)
        self.log = RequestLog(config.log_limit)
        self.requests_total = 0
        self.tokens_predicted_total = 0
        self.reset()

    def reset(self) -> None:
        self.use_profile(self.config.profile, f"b{self.config.build}")
        self.player = ScriptPlayer(self.config.script)
        self.faults = FaultPlan(self.config.faults)
        self.clock = Clock(self.config.timing)
        self.log.clear()

    @property
    def knobs(self) -> LlamacppKnobs:
        return self.profile.knobs

    @property
    def jinja(self) -> bool:
        return self.knobs.jinja_default if self.config.jinja is None else self.config.jinja

    @property
    def slots(self) -> bool:
        return self.knobs.slots_default if self.config.slots is None else self.config.slots

    @property
    def fingerprint(self) -> str:
        return f"{self.version}-{self.knobs.build_commit}"

    def reported_version(self, profile: LlamacppProfile) -> str:
        return f"b{profile.reference}"  # llama-server names its build so

    @staticmethod
    def random_string() -> str:
        """32 characters from [0-9A-Za-z], as server-common.cpp random_string() draws them."""
        return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(32))

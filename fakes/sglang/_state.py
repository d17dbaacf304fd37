"""A fake SGLang's configuration (fixed at start) and state (changed by traffic and control)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fakes.http.requestlog import RequestLog
from fakes.model.faults import FaultPlan, FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Scheduler, Timing
from fakes.profiles._sglang import SglangKnobs, SglangProfile
from fakes.profiles.switch import ProfileSwitch

# Qwen2.5's <|im_end|>: what matched_stop names when a Qwen model stops on EOS.
DEFAULT_EOS_TOKEN_ID = 151645


@dataclass(frozen=True)
class SglangConfig:
    profile: SglangProfile
    version: str
    served_model_name: str = "fake-model"
    model_path: str | None = None  # --model-path; /get_model_info's model_path
    api_key: str | None = None
    tool_call_parser: str | None = None
    reasoning_parser: str | None = None
    context_length: int = 32768  # /v1/models max_model_len
    max_running_requests: int = 256
    eos_token_id: int = DEFAULT_EOS_TOKEN_ID
    timing: Timing = field(default_factory=Timing)
    script: Script = field(default_factory=Script)
    faults: tuple[FaultRule, ...] = ()
    control_plane: bool = True
    control_token: str | None = None
    recordings_dir: str = "recordings"
    log_limit: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024

    @property
    def path(self) -> str:
        return self.model_path or self.served_model_name


class SglangState(ProfileSwitch[SglangProfile]):
    def __init__(self, config: SglangConfig) -> None:
        self.config = config
        self.scheduler = Scheduler(config.max_running_requests)
        self.log = RequestLog(config.log_limit)
        self.reset()

    def reset(self) -> None:
        self.use_profile(self.config.profile, self.config.version)
        self.player = ScriptPlayer(self.config.script)
        self.faults = FaultPlan(self.config.faults)
        self.clock = Clock(self.config.timing)
        self.log.clear()

    @property
    def knobs(self) -> SglangKnobs:
        return self.profile.knobs

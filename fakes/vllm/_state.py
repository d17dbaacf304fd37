"""A fake vLLM's configuration (fixed at start) and state (changed by traffic and control)."""

from __future__ import annotations

import functools
import operator
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from fakes.http.metrics import VllmMetrics
from fakes.http.requestlog import RequestLog
from fakes.model.faults import FaultPlan, FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Scheduler, Timing
from fakes.model.tokens import Vocabulary
from fakes.profiles import Knobs, Profile
from fakes.profiles.switch import ProfileSwitch
from fakes.vllm._fastapi import SITE_PACKAGES, Where


@dataclass(frozen=True)
class VllmConfig:
    profile: Profile
    version: str  # what /version reports
    served_model_names: tuple[str, ...] = ("fake-model",)
    model_path: str | None = None  # the --model value; /v1/models "root"
    api_keys: tuple[str, ...] = ()
    enable_auto_tool_choice: bool = False
    tool_call_parser: str | None = None
    reasoning_parser: str | None = None
    max_num_seqs: int = 256
    max_model_len: int = 8192
    timing: Timing = field(default_factory=Timing)
    script: Script = field(default_factory=Script)
    faults: tuple[FaultRule, ...] = ()
    control_plane: bool = True
    control_token: str | None = None  # every /_fake/ route needs it when set
    recordings_dir: str = "recordings"  # where the console saves cassettes and scenarios
    log_limit: int = 1000
    max_body_bytes: int = 32 * 1024 * 1024
    replica_name: str | None = None  # x-inference-pod and llm_fakes_replica_info when set
    # the FastAPI release installed beside vLLM (None: the profile's knob fastapi) and where
    # vLLM's files lie: both show in FastAPI's validation messages up to vLLM 0.25
    fastapi: str | None = None
    site_packages: str = SITE_PACKAGES
    # the compiled fast path (fakes/vllm/fast/) for plain requests; off: every request takes
    # the reference path (--no-fast-path)
    fast_path: bool = True

    @property
    def auto_tools(self) -> bool:
        return self.enable_auto_tool_choice and self.tool_call_parser is not None


class VllmState(ProfileSwitch[Profile]):
    def __init__(self, config: VllmConfig) -> None:
        self.config = config
        self.scheduler = Scheduler(config.max_num_seqs)
        self.metrics = VllmMetrics(self.scheduler, replica=config.replica_name)
        self.log = RequestLog(config.log_limit)
        # where ids and "created" come from: tests swap in fixed sources (both paths use them)
        self.hex_source: Callable[[], str] = _random_hex
        self.now: Callable[[], float] = time.time
        self.uuid_hex: Callable[[], str] = lambda: uuid.uuid4().hex  # 0.6.4's X-Request-Id
        self.new_uuid: Callable[[], str] = lambda: str(uuid.uuid4())  # /v1/responses item ids
        self.reset()

    def reset(self) -> None:
        self.use_profile(self.config.profile, self.config.version)
        self.player = ScriptPlayer(self.config.script)
        self.faults = FaultPlan(self.config.faults)
        self.clock = Clock(self.config.timing)
        self.vocabulary = Vocabulary()
        self.log.clear()

    @property
    def knobs(self) -> Knobs:
        return self.profile.knobs

    def where(self, method: str, path: str) -> Where:
        """What FastAPI knows of a request it refuses on ``path``."""
        fastapi = self.config.fastapi or self.knobs.fastapi
        return Where(fastapi, method, path, self.config.site_packages)

    def new_hex(self) -> str:
        return self.hex_source()[: self.knobs.id_hex_length]

    def new_hexes(self, count: int) -> tuple[bytes, ...]:
        """``count`` new_hex() values as bytes, in the order new_hex() draws them. From the
        default source in one draw: getrandbits(128 * count) fills its 32-bit words from the
        lowest up, so its n-th 128 bits from the bottom are what the n-th getrandbits(128)
        would have returned (CPython's _randommodule.c), and a seeded generator gives the
        same ids either way."""
        length = self.knobs.id_hex_length
        if self.hex_source is not _random_hex:
            return tuple(self.hex_source()[:length].encode() for _ in range(count))
        drawn = _ids.getrandbits(128 * count).to_bytes(16 * count, "big").hex().encode()
        return _hex_slices(count, length)(drawn)


# Ids need to be unique, not secret: a private generator seeded from os.urandom (reseeded in
# a forked child) costs half of secrets.token_hex, and a test's random.seed() leaves it alone.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def _random_hex() -> str:
    return _ids.getrandbits(128).to_bytes(16, "big").hex()  # f"{:032x}", at half the cost


@functools.cache
def _hex_slices(count: int, length: int) -> Callable[[bytes], tuple[bytes, ...]]:
    """Cuts ``count`` ids of ``length`` digits out of one draw's hex, the first from its end."""
    cuts = [slice(start, start + length) for start in range(32 * (count - 1), -1, -32)]
    pick = operator.itemgetter(*cuts)
    return pick if count > 1 else lambda drawn: (pick(drawn),)

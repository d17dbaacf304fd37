"""A fake LiteLLM's state: the request log, deployment cooldowns, run-time knob overrides."""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from fakes.http.outgoing import async_client, lean_transport
from fakes.http.requestlog import RequestLog
from fakes.litellm._config import Deployment, LitellmConfig
from fakes.litellm._fleet import Fleet
from fakes.litellm._keys import KeyCounters
from fakes.litellm._slots import Slots
from fakes.profiles import LitellmKnobs, LitellmProfile
from fakes.profiles.switch import ProfileSwitch

if TYPE_CHECKING:
    from fakes.http.h1transport import H1Transport


@dataclass(frozen=True)
class Cooldown:
    until: float  # monotonic
    exception: str
    status: int
    timestamp: float  # wall clock, as LiteLLM reports it


class LitellmState(ProfileSwitch[LitellmProfile]):
    def __init__(self, config: LitellmConfig, transport: httpx.AsyncBaseTransport | None) -> None:
        self.config = config
        self.transport = transport
        self.timeout = httpx.Timeout(config.upstream_timeout, connect=10.0)
        self.log = RequestLog(config.log_limit)
        self._pool: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, H1Transport | None]
        ] = weakref.WeakKeyDictionary()
        self.reset()

    def reset(self) -> None:
        self.use_profile(self.config.profile, self.config.version)
        self.cooldowns: dict[str, Cooldown] = {}
        self.fleet = Fleet(self.config.router.seed)  # the router's failures, loads, draws
        self.keys = KeyCounters(lambda: self.fleet.minute())  # per-key limits, by its minutes
        self.slots = Slots()  # deployments' max_parallel_requests
        self.max_model_len: dict[str, int] = {}  # model id -> learnt from upstream /models
        self.log.clear()

    @property
    def knobs(self) -> LitellmKnobs:
        return self.profile.knobs

    def cool_down(self, deployment: Deployment, exception: str, status: int) -> None:
        self.cooldowns[deployment.model_id] = Cooldown(
            time.monotonic() + self.config.cooldown_time, exception, status, time.time()
        )

    def cooling(self, deployment: Deployment) -> Cooldown | None:
        entry = self.cooldowns.get(deployment.model_id)
        if entry is None or entry.until <= time.monotonic():
            self.cooldowns.pop(deployment.model_id, None)
            return None
        return entry

    def client(self) -> httpx.AsyncClient:
        """Over sockets, one pooled client per event loop (kept-alive upstream connections,
        like LiteLLM's own); in process, a client over the given transport."""
        return self.upstream()[0]

    def upstream(self) -> tuple[httpx.AsyncClient, H1Transport | None]:
        """The client, and the lean transport under it when it has one (sockets, no proxy)."""
        timeout = self.timeout
        if self.transport is not None:
            return async_client(transport=self.transport, timeout=timeout), None
        loop = asyncio.get_running_loop()
        pooled = self._pool.get(loop)
        if pooled is None or pooled[0].is_closed:
            lean = lean_transport()
            client = async_client(timeout=timeout, transport=lean)
            pooled = self._pool[loop] = (client, lean)
        return pooled

    async def aclose(self) -> None:
        """Close this event loop's pooled client (at shutdown: the app's lifespan)."""
        pooled = self._pool.pop(asyncio.get_running_loop(), None)
        if pooled is not None:
            await pooled[0].aclose()

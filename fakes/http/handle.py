"""A running fake as a Python object: its address, and its control plane as methods."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from fakes.model.faults import FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Timing


@dataclass
class FakeHandle:
    backend: str  # "vllm" or "litellm"
    version: str  # the release it imitates
    app: Starlette
    url: str  # root URL: http://vllm.fake in-process, http://127.0.0.1:PORT live
    upstream: FakeHandle | None = None  # the fake vLLM behind a fake LiteLLM

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as ``base_url``."""
        return self.url + "/v1"

    @property
    def state(self) -> Any:
        return self.app.state.fake

    def requests(self) -> list[dict[str, Any]]:
        """Every exchange so far: method, path, headers (secrets redacted), JSON body, status,
        response bytes and, for streams, each event with its time offset."""
        return [entry.to_json() for entry in self.state.log.entries()]

    def last_request(self) -> dict[str, Any]:
        entries = self.requests()
        if not entries:
            raise AssertionError(f"the fake {self.backend} {self.version} received no request")
        return entries[-1]

    @property
    def model_server(self) -> FakeHandle:
        """The fake that generates answers (the vLLM behind a proxy)."""
        return self.upstream or self

    def script(self, script: Script | Mapping[str, Any]) -> None:
        """What the model says (set on the fake vLLM, behind a proxy too)."""
        self.model_server.state.player = ScriptPlayer(Script.model_validate(script))

    def faults(self, *rules: FaultRule | Mapping[str, Any]) -> None:
        """Faults of the model server; behind a proxy, the proxy's answer to them shows."""
        rules_ = tuple(FaultRule.model_validate(rule) for rule in rules)
        self.model_server.state.faults.set(rules_)

    def knobs(self, **overrides: Any) -> None:
        self.state.set_knobs(overrides)

    def timing(self, **fields: Any) -> None:
        self.model_server.state.clock = Clock(Timing(**fields))

    def reset(self) -> None:
        self.state.reset()
        if self.upstream is not None:
            self.upstream.reset()

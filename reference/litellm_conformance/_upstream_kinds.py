"""The servers a catalogue runs in front of: a fake vLLM profile, or the fake SGLang, Ollama or
llama.cpp (their newest profile, or one named), each behind the LiteLLM provider a user
configures for it (fakes.litellm.UPSTREAM_PROVIDERS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from contracts._backends import MODEL, Backend
from contracts._scenario import WIRE, Scenario
from fakes.litellm import UPSTREAM_PROVIDERS
from fakes.model.faults import FaultRule
from fakes.profiles import BaseProfile, Profile, ProfileError, builtin

OTHER_KINDS = ("sglang", "ollama", "llamacpp")


@dataclass(frozen=True)
class Upstream:
    kind: str  # "vllm" or one of OTHER_KINDS
    profile: BaseProfile  # that backend's profile

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def provider(self) -> str:
        return UPSTREAM_PROVIDERS[self.kind]

    @property
    def vllm(self) -> Profile:
        """The fake vLLM profile the catalogue's requests are derived with: this one, or the
        newest for another server (a driver's requests do not depend on the upstream)."""
        return self.profile if isinstance(self.profile, Profile) else builtin("vllm").newest()

    def backend(self) -> Backend:
        """The contract backend that builds this server for a scenario."""
        newest = builtin("vllm").newest()
        if self.kind == "vllm":
            return Backend(self.name, "vllm", self.vllm)
        profile: Any = self.profile
        return Backend(self.name, self.kind, newest, **{self.kind: profile})

    def runs(self, scenario: Scenario) -> bool:
        """Scenarios this server answers in front of the proxy (vLLM's are chosen by the
        catalogue itself; canned wire scenarios are vLLM-made)."""
        if self.kind == "vllm":
            return True
        if scenario.runs_on == WIRE or scenario.vllm.get("api_keys"):
            return False
        return self.backend().applies(scenario)

    def app(self, *, tools: bool, faults: tuple[FaultRule, ...] = ()) -> ASGIApp:
        """The server for an extra or a probe (not vLLM's): tool calling on when ``tools``, as
        its users turn it on (SGLang a Qwen2.5 parser, llama-server --jinja; Ollama always)."""
        profile: Any = self.profile
        if self.kind == "sglang":
            from fakes.sglang import SglangConfig, create_sglang_app

            parser = "qwen25" if tools else None
            return create_sglang_app(
                SglangConfig(
                    profile=profile,
                    version=profile.reference,
                    served_model_name=MODEL,
                    tool_call_parser=parser,
                    faults=faults,
                )
            )
        if self.kind == "ollama":
            from fakes.ollama import OllamaConfig, create_ollama_app

            return create_ollama_app(
                OllamaConfig(
                    profile=profile,
                    version=profile.reference,
                    models=(MODEL,),
                    faults=faults,
                    seed=0,
                )
            )
        if self.kind == "llamacpp":
            from fakes.llamacpp import LlamacppConfig, create_llamacpp_app

            app: ASGIApp = create_llamacpp_app(
                LlamacppConfig(
                    profile=profile,
                    build=int(profile.reference),
                    alias=MODEL,
                    jinja=True if tools else None,
                    faults=faults,
                )
            )
            return app
        raise ValueError(f"{self.kind}: built by the catalogue's own vLLM factory")


def resolve_upstream(name: str | None) -> Upstream:
    """``newest`` or a vLLM profile name; ``sglang``, ``ollama``, ``llamacpp`` (their newest
    profile) or one of their profile names."""
    if name in (None, "newest"):
        return Upstream("vllm", builtin("vllm").newest())
    if name in OTHER_KINDS:
        return Upstream(name, builtin(name).newest())
    for kind in ("vllm", *OTHER_KINDS):
        if name in builtin(kind).names():
            return Upstream(kind, builtin(kind).get(name))
    raise ProfileError(
        f"unknown upstream {name!r}; known: newest, {', '.join(OTHER_KINDS)} or a profile name"
    )

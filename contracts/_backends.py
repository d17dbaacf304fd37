"""The backends a scenario runs on: each fake vLLM profile, the wire backend, fake LiteLLM,
each fake SGLang profile."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from starlette.types import ASGIApp

from contracts._scenario import WIRE, Scenario
from fakes.model.canned import CannedMiddleware
from fakes.model.script import Script
from fakes.profiles import Profile, builtin
from fakes.profiles._llamacpp import LlamacppProfile
from fakes.profiles._ollama import OllamaProfile
from fakes.profiles._sglang import SglangProfile
from fakes.vllm import VllmConfig, create_vllm_app

MODEL = "fake-model"


@dataclass(frozen=True)
class Backend:
    name: str
    kind: str  # "vllm" | "wire" | "litellm" | "ollama" | "llamacpp" | "sglang"
    profile: Profile  # the fake vLLM's profile (behind the proxy for "litellm")
    litellm_version: str | None = None
    ollama: OllamaProfile | None = None  # kind "ollama": the fake Ollama's profile
    llamacpp: LlamacppProfile | None = None  # the fake llama-server's profile ("llamacpp")
    sglang: SglangProfile | None = None  # kind "sglang": the fake SGLang's profile

    def server_key(self, scenario: Scenario) -> str | None:
        keys = scenario.vllm.get("api_keys", ())
        return keys[0] if keys else None

    def build(self, scenario: Scenario) -> ASGIApp:
        if self.ollama is not None:
            return _ollama_app(self.ollama, scenario)
        if self.llamacpp is not None:
            return _llamacpp_app(self.llamacpp, scenario)
        if self.sglang is not None:
            return _sglang_app(self.sglang, scenario)
        options = dict(scenario.vllm)
        config = VllmConfig(
            profile=self.profile,
            version=self.profile.reference,
            served_model_names=(MODEL,),
            script=scenario.script or Script(),
            faults=scenario.faults,
            **options,
        )
        app: ASGIApp = create_vllm_app(config)
        if self.kind == WIRE:
            app = CannedMiddleware(app, scenario.canned)
        if self.litellm_version is not None:
            from fakes.litellm import stack_app  # type: ignore[import-not-found,import-untyped,unused-ignore]

            app = stack_app(self.litellm_version, app, model=MODEL)
        return app

    def applies(self, scenario: Scenario) -> bool:
        if self.kind == SGLANG:
            return scenario.id in SGLANG_SCENARIOS
        if (scenario.runs_on == WIRE) != (self.kind == WIRE):
            return False
        if self.ollama is not None:
            return _ollama_applies(scenario)
        if self.llamacpp is not None:
            return scenario.applies is None  # the others test vLLM knobs
        if self.kind == "litellm" and scenario.vllm.get("api_keys"):
            return False  # the proxy holds the upstream key; auth is the proxy's own contract
        return scenario.applies is None or scenario.applies(self.profile.knobs)


# Ollama parses tools whatever the flags (vLLM's tool flags mean nothing there); it has no API
# keys, no reasoning parser flag and no tool_choice: those scenarios do not run on it.
_OLLAMA_OPTIONS = frozenset({"enable_auto_tool_choice", "tool_call_parser"})
_OLLAMA_GUARDED = frozenset({"tool_call", "tool_call_stream"})  # applies() reads vLLM knobs
OLLAMA_COLUMNS = ("ollama-0.3", "ollama-0.4.6", "ollama-0.5.2", "ollama-0.32.6")


def _ollama_applies(scenario: Scenario) -> bool:
    if set(scenario.vllm) - _OLLAMA_OPTIONS:
        return False
    return scenario.applies is None or scenario.id in _OLLAMA_GUARDED


def _ollama_app(profile: OllamaProfile, scenario: Scenario) -> ASGIApp:
    from fakes.ollama import OllamaConfig, create_ollama_app

    config = OllamaConfig(
        profile=profile,
        version=profile.reference,
        models=(MODEL,),
        script=scenario.script or Script(),
        faults=scenario.faults,
        seed=0,
    )
    return create_ollama_app(config)


def _llamacpp_app(profile: LlamacppProfile, scenario: Scenario) -> ASGIApp:
    """llama-server with the scenario's script and faults; vLLM's tool flags become --jinja
    (what a llama.cpp user turns on for tools), an API key stays one."""
    from fakes.llamacpp import LlamacppConfig, create_llamacpp_app

    options = scenario.vllm
    config = LlamacppConfig(
        profile=profile,
        build=int(profile.reference),
        alias=MODEL,
        api_keys=tuple(options.get("api_keys", ())),
        jinja=True if options.get("enable_auto_tool_choice") else None,
        script=scenario.script or Script(),
        faults=scenario.faults,
    )
    app: ASGIApp = create_llamacpp_app(config)
    return app


SGLANG = "sglang"
# What the fake SGLang answers from its releases' source or the reference harness. Left out:
# /v1/responses (not imitated), scenarios whose applies() reads vLLM knobs (named tool_choice,
# reasoning parsers), and request checks SGLang's sources were not read for (unknown model,
# bad parameters, empty tools, developer role).
SGLANG_SCENARIOS = frozenset(
    {
        "plain_completion",
        "stream_usage",
        "max_tokens_length",
        "tool_call",
        "tool_call_stream",
        "think_inline_stream",
        "reasoning_round_trip",
        "missing_api_key",
        "server_error",
        "error_frame_mid_stream",
        "stream_cut",
    }
)


def _sglang_app(profile: SglangProfile, scenario: Scenario) -> ASGIApp:
    from fakes.sglang import SglangConfig, create_sglang_app

    options = scenario.vllm
    keys = options.get("api_keys", ())
    config = SglangConfig(
        profile=profile,
        version=profile.reference,
        served_model_name=MODEL,
        api_key=keys[0] if keys else None,
        # a Qwen2.5 model's parser where the scenario asks vLLM for hermes
        tool_call_parser="qwen25" if options.get("tool_call_parser") else None,
        script=scenario.script or Script(),
        faults=scenario.faults,
    )
    return create_sglang_app(config)


def litellm_available() -> bool:
    return importlib.util.find_spec("fakes.litellm") is not None


# LiteLLM lines in front of a vLLM without /v1/responses (the seed's setup) and the newest.
LITELLM_STACKS = (("1.74.15", "vllm-0.9"), ("1.110.2", "vllm-0.9"), ("1.110.2", None))


def all_backends(*, litellm: bool = True) -> list[Backend]:
    profiles = builtin("vllm")
    backends = [Backend(profile.name, "vllm", profile) for profile in profiles]
    backends.append(Backend(WIRE, WIRE, profiles.newest()))
    for build in builtin("llamacpp"):
        backends.append(Backend(build.name, "llamacpp", profiles.newest(), llamacpp=build))
    if litellm and litellm_available():
        for version, upstream in LITELLM_STACKS:
            profile = profiles.get(upstream) if upstream else profiles.newest()
            line = ".".join(version.split(".")[:2])
            backends.append(Backend(f"litellm-{line}+{profile.name}", "litellm", profile, version))
    ollama = builtin("ollama")
    for name in OLLAMA_COLUMNS:
        backends.append(Backend(name, "ollama", profiles.newest(), ollama=ollama.get(name)))
    for sglang in builtin("sglang"):
        backends.append(Backend(sglang.name, SGLANG, profiles.newest(), sglang=sglang))
    return backends


def select_backends(patterns: list[str], *, litellm: bool = True) -> list[Backend]:
    import fnmatch

    backends = all_backends(litellm=litellm)
    if not patterns:
        return backends
    chosen = [b for b in backends if any(fnmatch.fnmatch(b.name, p) for p in patterns)]
    if not chosen:
        names = ", ".join(b.name for b in backends)
        raise KeyError(f"no backend matches {', '.join(patterns)}; known: {names}")
    return chosen

"""The server ``serve stack`` puts behind the fake LiteLLM: a fake vLLM, SGLang, Ollama or
llama.cpp of one release, serving the stack's model with tool calling on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from starlette.types import ASGIApp

from fakes.profiles import ProfileError
from fakes.profiles.versions import VersionError

UPSTREAMS = ("vllm", "sglang", "ollama", "llamacpp")
# Each server's own default port (vllm serve, sglang.launch_server, ollama serve, llama-server)
DEFAULT_PORTS = {"vllm": 8000, "sglang": 30000, "ollama": 11434, "llamacpp": 8080}
LABELS = {"vllm": "vLLM", "sglang": "SGLang", "ollama": "Ollama", "llamacpp": "llama.cpp"}


@dataclass(frozen=True)
class StackUpstream:
    kind: str
    label: str  # "fake SGLang 0.5.2"
    profile_name: str
    app: ASGIApp


@dataclass(frozen=True)
class UpstreamOptions:
    """What every kind shares: the model name and the control plane's settings."""

    model: str
    control_plane: bool
    control_token: str | None
    log_limit: int
    recordings_dir: str

    @property
    def plane(self) -> dict[str, Any]:
        return {
            "control_plane": self.control_plane,
            "control_token": self.control_token,
            "log_limit": self.log_limit,
            "recordings_dir": self.recordings_dir,
        }


def build_upstream(kind: str, release: str | None, options: UpstreamOptions) -> StackUpstream:
    """The upstream of one kind and release (None: the newest profile); a release no profile
    covers is a clean CLI error."""
    from fakes.cli.serve import warn_past_newest

    try:
        version, profile, newest, app = _BUILDERS[kind](release, options)
    except (ProfileError, VersionError) as exc:
        raise click.ClickException(str(exc)) from None
    if release is not None:  # llama.cpp's b<N> compared as N
        warn_past_newest(LABELS[kind], version.removeprefix("b"), newest, profile.name)
    return StackUpstream(kind, f"fake {LABELS[kind]} {version}", profile.name, app)


def _vllm(release: str | None, options: UpstreamOptions) -> tuple[str, Any, str, ASGIApp]:
    from fakes.profiles import DEFAULT_VLLM_VERSION, resolve_vllm_profile
    from fakes.vllm import VllmConfig, create_vllm_app

    profile, version = resolve_vllm_profile(release, None)
    config = VllmConfig(
        profile=profile,
        version=version,
        served_model_names=(options.model,),
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
        **options.plane,
    )
    return version, profile, DEFAULT_VLLM_VERSION, create_vllm_app(config)


def _sglang(release: str | None, options: UpstreamOptions) -> tuple[str, Any, str, ASGIApp]:
    from fakes.profiles._registry import DEFAULT_SGLANG_VERSION, resolve_sglang_profile
    from fakes.sglang import SglangConfig, create_sglang_app

    profile, version = resolve_sglang_profile(release, None)
    config = SglangConfig(
        profile=profile,
        version=version,
        served_model_name=options.model,
        tool_call_parser="qwen25",  # a Qwen2.5 model's parser, as the contracts run it
        **options.plane,
    )
    return version, profile, DEFAULT_SGLANG_VERSION, create_sglang_app(config)


def _ollama(release: str | None, options: UpstreamOptions) -> tuple[str, Any, str, ASGIApp]:
    from fakes.cli.ollama import DEFAULT_OLLAMA_VERSION
    from fakes.ollama import OllamaConfig, create_ollama_app
    from fakes.profiles import builtin, resolve

    profile, version = resolve(builtin("ollama"), release, DEFAULT_OLLAMA_VERSION, None)
    config = OllamaConfig(
        profile=profile, version=version, models=(options.model,), **options.plane
    )
    return version, profile, DEFAULT_OLLAMA_VERSION, create_ollama_app(config)


def _llamacpp(release: str | None, options: UpstreamOptions) -> tuple[str, Any, str, ASGIApp]:
    from fakes.cli.llamacpp import resolve_llamacpp_profile
    from fakes.llamacpp import DEFAULT_LLAMACPP_BUILD, LlamacppConfig, create_llamacpp_app

    profile, build = resolve_llamacpp_profile(release, None)
    config = LlamacppConfig(
        profile=profile,
        build=build,
        alias=options.model,
        jinja=True,  # tool calls need --jinja
        **options.plane,
    )
    app: ASGIApp = create_llamacpp_app(config)
    return f"b{build}", profile, str(DEFAULT_LLAMACPP_BUILD), app


_BUILDERS = {"vllm": _vllm, "sglang": _sglang, "ollama": _ollama, "llamacpp": _llamacpp}

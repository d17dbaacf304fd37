"""The apps the reliability suite aims at, and what a well-formed answer from each looks like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.profiles import ErrorShape, Knobs, ResponsesRoute
from fakes.record import Recorder, Replayer, load
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_CASSETTE = ROOT / "recordings" / "litellm-1.110.2.jsonl"
DEAD_UPSTREAM = "http://127.0.0.1:1"  # nothing listens on port 1: connection refused at once
PLAIN_500 = b"Internal Server Error"

VLLM_ROUTES = [
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/responses",
    "/v1/models",
    "/health",
    "/version",
    "/metrics",
    "/v2/x",
    "/inference/x",
]
CONTROL_ROUTES = [
    "/_fake/requests",
    "/_fake/reset",
    "/_fake/script",
    "/_fake/faults",
    "/_fake/timing",
    "/_fake/profile",
]
LITELLM_ROUTES = [
    "/v1/chat/completions",
    "/chat/completions",
    "/v1/responses",
    "/responses",
    "/v1/models",
    "/models",
    "/engines/fake-model/chat/completions",
    "/openai/deployments/fake-model/chat/completions",
    "/engines/other/chat/completions",
    "/health/liveliness",
    "/health/readiness",
]


@dataclass
class Target:
    name: str
    kind: str  # vllm | litellm | replay | recorder
    app: ASGIApp
    routes: list[str]
    knobs: Knobs | None = None  # the vLLM profile's knobs (vllm and recorder-to-vllm)
    plain_500_bodies: frozenset[bytes] = frozenset()  # recorded errors a replay may repeat
    upstream_knobs: Knobs | None = None  # the fake vLLM behind a fake LiteLLM


def _vllm(version: str, **overrides: Any) -> Target:
    config = vllm_config(version, max_model_len=512, **overrides)
    name = f"vllm-{version}" + ("+key" if config.api_keys else "")
    routes = VLLM_ROUTES + CONTROL_ROUTES
    return Target(name, "vllm", create_vllm_app(config), routes, config.profile.knobs)


def _litellm(version: str, *, api_base: str | None, master_key: str | None = None) -> Target:
    profile, release = resolve_litellm_profile(version, None)
    deployments = (
        Deployment("fake-model", "hosted_vllm", "fake-model", api_base=api_base),
        Deployment("mock-model", "openai", "gpt-4o", mock_response="hello there"),
    )
    upstream_config = vllm_config("0.33.0")
    upstream = create_vllm_app(upstream_config)
    config = LitellmConfig(
        profile=profile,
        version=release,
        deployments=deployments,
        master_key=master_key,
        num_retries=1,
        cooldown_time=0.01,
    )
    transport = StreamingASGITransport(upstream) if api_base and "upstream" in api_base else None
    app = create_litellm_app(config, transport=transport)
    suffix = "+dead-upstream" if api_base == DEAD_UPSTREAM + "/v1" else ""
    suffix += "+key" if master_key else ""
    return Target(
        f"litellm-{version}{suffix}",
        "litellm",
        app,
        LITELLM_ROUTES + CONTROL_ROUTES,
        upstream_knobs=upstream_config.profile.knobs if transport else None,
    )


def _replay() -> Target:
    cassette = load(REFERENCE_CASSETTE)
    # the real proxy's own error answers (its 500s, FastAPI's 405 {"detail"}), repeated as recorded
    recorded_500s = frozenset(i.body for i in cassette.interactions if i.status >= 400)
    routes = [*sorted({i.path for i in cassette.interactions}), "/v1/other"]
    return Target("replay", "replay", Replayer([cassette], speed=0), routes, None, recorded_500s)


def _recorder(out: Path, *, dead: bool) -> Target:
    if dead:
        app = Recorder(DEAD_UPSTREAM, out / "dead.jsonl")
        return Target("recorder+dead-upstream", "recorder", app, VLLM_ROUTES, None)
    config = vllm_config("0.33.0", max_model_len=512)
    upstream = StreamingASGITransport(create_vllm_app(config))
    app = Recorder("http://upstream.fake", out / "live.jsonl", transport=upstream)
    return Target(
        "recorder+fake-vllm", "recorder", app, VLLM_ROUTES + CONTROL_ROUTES, config.profile.knobs
    )


BUILDERS: dict[str, Callable[[Path], Target]] = {
    "vllm-0.4.3": lambda _: _vllm("0.4.3"),
    "vllm-0.9.2": lambda _: _vllm("0.9.2"),
    "vllm-0.10.0": lambda _: _vllm("0.10.0"),
    "vllm-0.10.1": lambda _: _vllm("0.10.1"),
    "vllm-0.33.0+key": lambda _: _vllm("0.33.0", api_keys=("sk-fuzz-key-000000",)),
    "litellm-1.74.15": lambda _: _litellm("1.74.15", api_base="http://upstream.fake/v1"),
    "litellm-1.110.2+key": lambda _: _litellm(
        "1.110.2", api_base="http://upstream.fake/v1", master_key="sk-master-0000000"
    ),
    "litellm-1.110.2+dead-upstream": lambda _: _litellm("1.110.2", api_base=DEAD_UPSTREAM + "/v1"),
    "litellm-1.74.15+dead-upstream": lambda _: _litellm("1.74.15", api_base=DEAD_UPSTREAM + "/v1"),
    "replay": lambda _: _replay(),
    "recorder+dead-upstream": lambda tmp: _recorder(tmp, dead=True),
    "recorder+fake-vllm": lambda tmp: _recorder(tmp, dead=False),
}


def routes_for(name: str) -> list[str]:
    if name.startswith("vllm"):
        return VLLM_ROUTES + CONTROL_ROUTES
    if name.startswith("litellm"):
        return LITELLM_ROUTES + CONTROL_ROUTES
    if name == "replay":
        return [*sorted({i.path for i in load(REFERENCE_CASSETTE).interactions}), "/v1/other"]
    return VLLM_ROUTES + CONTROL_ROUTES


class Fleet:
    """The targets by name (a short repr: hypothesis prints it with every failure)."""

    def __init__(self, tmp: Path) -> None:
        self.targets = {name: build(tmp) for name, build in BUILDERS.items()}
        for name, target in self.targets.items():
            assert target.name == name, (name, target.name)

    def __getitem__(self, name: str) -> Target:
        return self.targets[name]

    def __repr__(self) -> str:
        return f"<{len(self.targets)} fuzz targets>"


# --- what a well-formed answer looks like -------------------------------------------------

ShapeCheck = Callable[[Any], bool]


def _flat(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"object", "message", "type", "param", "code"}


def _nested(body: Any) -> bool:
    inner = body.get("error") if isinstance(body, dict) else None
    return (
        isinstance(inner, dict)
        and len(body) == 1
        and {"message", "type", "param", "code"} <= set(inner)
        and isinstance(inner["message"], str)
    )


def _detail(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"detail"} and isinstance(body["detail"], str)


def vllm_error_shape(knobs: Knobs, body: Any) -> bool:
    shaped = _flat(body) if knobs.error_shape is ErrorShape.FLAT else _nested(body)
    return shaped or _detail(body) or body == {"error": "Unauthorized"}


def litellm_error_shape(body: Any) -> bool:
    return (_nested(body) and isinstance(body["error"]["code"], str)) or _detail(body)


def openai_error_shape(body: Any) -> bool:
    return _nested(body)


def json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def vllm_plain_500_expected(knobs: Knobs, path: str, body: Any, fault: str | None) -> bool:
    """The plain-text 500s vLLM itself answers, by profile (see fakes/profiles/vllm/*.yaml):
    0.10.0's streaming /v1/responses (NotImplementedError) and 0.9's validator that raises
    NotImplementedError for an unknown ``tool_choice`` string."""
    if not isinstance(body, dict):
        return False
    if (
        path == "/v1/responses"
        and knobs.responses is ResponsesRoute.NON_STREAMING
        and body.get("stream")
    ):
        return True
    choice = body.get("tool_choice")
    return (
        path == "/v1/chat/completions"
        and knobs.tools
        and not knobs.tool_choice_string_error
        and isinstance(choice, str)
        and choice not in knobs.tool_choice_strings
    )

"""What is sent: units of exchanges, each with its own fake vLLM and its own proxy deployment.

A unit is one contract scenario as one reference driver drives it (the wire requests come
from that driver run against the fake stack), one of the hand-written probes, or one of a
few extra requests the catalogue lacks. Every unit gets a deployment of its own (its name is
the model alias), so one unit's cooldown never reaches the next, as in a fresh contract cell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp

from contracts._backends import MODEL, Backend
from contracts._runner import run_cell
from contracts._scenario import WIRE, Scenario
from contracts.drivers import DRIVERS, REFERENCE
from contracts.scenarios import SCENARIOS
from fakes.model.faults import Fault, FaultKind, FaultRule
from fakes.model.script import Script
from fakes.profiles import Profile
from fakes.vllm import VllmConfig, create_vllm_app
from reference.litellm_conformance._upstream_kinds import resolve_upstream

# Wire scenarios whose canned upstream makes sense behind the proxy: an upstream stream
# without usage is where the proxy's own estimate shows.
WIRE_BEHIND_PROXY = ("stream_usage_absent", "usage_cumulative", "choices_empty_and_null")
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
HI = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
ANTHROPIC_TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
MASTER_KEY = "sk-llmfakes-Str0ng-Master-Key-123"
AUTH = {"authorization": f"Bearer {MASTER_KEY}", "content-type": "application/json"}
MOCK_MODEL = "mocky"


@dataclass(frozen=True)
class WireRequest:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(AUTH))

    def to_json(self) -> dict[str, Any]:
        body = None if self.body is None else self.body.decode("utf-8", "replace")
        return {"method": self.method, "path": self.path, "headers": self.headers, "body": body}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WireRequest:
        body = data.get("body")
        return cls(
            data["method"], data["path"], None if body is None else body.encode(), data["headers"]
        )


@dataclass(frozen=True)
class Unit:
    name: str  # also the deployment's model alias
    source: str  # "scenario:<id>", "probe:<name>" or "extra:<name>"
    drivers: tuple[str, ...]  # the reference drivers that sent these requests
    requests: tuple[WireRequest, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "drivers": list(self.drivers),
            "requests": [r.to_json() for r in self.requests],
        }


def upstream_profile(name: str | None) -> Profile:
    """The fake vLLM profile the catalogue is derived with (the newest for another server)."""
    return resolve_upstream(name).vllm


def _vllm(profile: Profile, script: Script | None = None, **options: Any) -> ASGIApp:
    config = VllmConfig(
        profile=profile,
        version=profile.reference,
        served_model_names=(MODEL,),
        script=script or Script(),
        **options,
    )
    return create_vllm_app(config)


# Extra exchanges the catalogue lacks: (name, vLLM options, path, body).
EXTRAS: tuple[tuple[str, dict[str, Any], str, dict[str, Any]], ...] = (
    ("natural_end_stream", {}, "/v1/chat/completions", {"messages": HI, "stream": True}),
    (
        "continuous_usage",
        {},
        "/v1/chat/completions",
        {
            "messages": HI,
            "stream": True,
            "max_tokens": 4,
            "stream_options": {"include_usage": True, "continuous_usage_stats": True},
        },
    ),
    ("stop_string", {}, "/v1/chat/completions", {"messages": HI, "stop": ["sit"]}),
    (
        "stop_string_stream",
        {},
        "/v1/chat/completions",
        {"messages": HI, "stop": ["sit"], "stream": True},
    ),
    (
        "tools_required_stream",
        {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"},
        "/v1/chat/completions",
        {"messages": USER, "tools": TOOLS, "tool_choice": "required", "stream": True},
    ),
    ("completions", {}, "/v1/completions", {"prompt": "Say hi", "max_tokens": 5}),
    (
        "completions_stream",
        {},
        "/v1/completions",
        {"prompt": "Say hi", "max_tokens": 5, "stream": True},
    ),
    (
        "responses_stream",
        {},
        "/v1/responses",
        {"input": "What is the weather in Paris?", "stream": True},
    ),
    # /v1/messages: the proxy's Anthropic adapter in front of the upstream's chat completions
    ("messages", {}, "/v1/messages", {"max_tokens": 16, "messages": HI}),
    ("messages_stream", {}, "/v1/messages", {"max_tokens": 16, "messages": HI, "stream": True}),
    (
        "messages_system",
        {},
        "/v1/messages",
        {"max_tokens": 3, "system": "Be brief", "messages": HI},
    ),
    (
        "messages_tool",
        {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"},
        "/v1/messages",
        {"max_tokens": 64, "messages": USER, "tools": ANTHROPIC_TOOLS},
    ),
    (
        "messages_tool_stream",
        {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"},
        "/v1/messages",
        {"max_tokens": 64, "messages": USER, "tools": ANTHROPIC_TOOLS, "stream": True},
    ),
)


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None
    raw: bytes | None = None
    fault: Fault | None = None


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": HI, **extra}


# The hand-written probes (auth, routes, errors, faults) the catalogue does not reach.
PROBES = (
    Probe("plain_bare_route", "POST", "/chat/completions", _chat(max_tokens=5)),
    Probe("mock", "POST", "/v1/chat/completions", {"model": MOCK_MODEL, "messages": HI}),
    Probe(
        "mock_stream",
        "POST",
        "/v1/chat/completions",
        {"model": MOCK_MODEL, "messages": HI, "stream": True},
    ),
    Probe("engines_route", "POST", "/engines/{model}/chat/completions", {"messages": HI}),
    Probe("no_key", "POST", "/v1/chat/completions", _chat(), headers={}),
    Probe(
        "wrong_key",
        "POST",
        "/v1/chat/completions",
        _chat(),
        headers={"authorization": "Bearer sk-wrong"},
    ),
    Probe(
        "key_without_bearer",
        "POST",
        "/v1/chat/completions",
        _chat(),
        headers={"authorization": MASTER_KEY},
    ),
    Probe(
        "x_litellm_api_key",
        "POST",
        "/v1/chat/completions",
        _chat(max_tokens=2),
        headers={"x-litellm-api-key": MASTER_KEY},
    ),
    Probe("unknown_route", "GET", "/v1/nothing", headers={}),
    Probe("wrong_method", "GET", "/v1/chat/completions"),
    Probe("malformed_body", "POST", "/v1/chat/completions", raw=b'{"model":'),
    Probe("models", "GET", "/v1/models"),
    Probe("models_without_key", "GET", "/v1/models", headers={}),
    Probe("liveliness", "GET", "/health/liveliness", headers={}),
    Probe("readiness", "GET", "/health/readiness", headers={}),
    Probe(
        "upstream_500_stream",
        "POST",
        "/v1/chat/completions",
        _chat(stream=True),
        fault=Fault(kind=FaultKind.HTTP_ERROR, status=500),
    ),
    Probe(
        "responses_twice",
        "POST",
        "/v1/responses",
        {"model": MODEL, "input": "hi"},
    ),
    Probe(
        "messages_unknown_model",
        "POST",
        "/v1/messages",
        {"model": "nope", "max_tokens": 8, "messages": HI},
    ),
    Probe("messages_without_max_tokens", "POST", "/v1/messages", {"model": MODEL, "messages": HI}),
    Probe(
        "messages_no_key",
        "POST",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 8, "messages": HI},
        headers={},
    ),
)


def _aliased(body: Any, alias: str) -> Any:
    if isinstance(body, dict) and body.get("model") == MODEL:
        return {**body, "model": alias}
    return body


def _probe_unit(probe: Probe) -> Unit:
    alias = f"probe.{probe.name}"
    headers = dict(AUTH) if probe.headers is None else dict(probe.headers)
    body = probe.raw
    if body is None and probe.body is not None:
        body = orjson.dumps(_aliased(probe.body, alias))
    if body is not None:
        headers.setdefault("content-type", "application/json")
    path = probe.path.replace("{model}", alias)
    count = 2 if probe.name == "responses_twice" else 1
    request = WireRequest(probe.method, path, body, headers)
    return Unit(alias, f"probe:{probe.name}", (), (request,) * count)


def _extra_unit(name: str, path: str, body: dict[str, Any]) -> Unit:
    alias = f"extra.{name}"
    request = WireRequest("POST", path, orjson.dumps({"model": alias, **body}))
    return Unit(alias, f"extra:{name}", (), (request,))


def scenario_backend(scenario: Scenario, profile: Profile, litellm: str | None) -> Backend:
    kind = WIRE if scenario.runs_on == WIRE else "litellm" if litellm else "vllm"
    return Backend(f"conformance-{profile.name}", kind, profile, litellm)


def scenarios_for(profile: Profile, litellm: str) -> list[Scenario]:
    chosen = []
    for scenario in SCENARIOS.all():
        if scenario.runs_on == WIRE:
            if scenario.id in WIRE_BEHIND_PROXY:
                chosen.append(scenario)
        elif Backend("x", "litellm", profile, litellm).applies(scenario):
            chosen.append(scenario)
    return chosen


async def _driver_requests(scenario: Scenario, profile: Profile, litellm: str, driver: str) -> Any:
    spec = DRIVERS.get(driver)
    if scenario.requires - spec.capabilities:
        return None
    run = await run_cell(spec, scenario, scenario_backend(scenario, profile, litellm))
    return tuple(
        WireRequest(
            e["method"],
            e["path"] + (f"?{e['query']}" if e.get("query") else ""),
            None
            if e["json"] is None and not e["body"]
            else orjson.dumps(e["json"])
            if e["json"] is not None
            else e["body"].encode(),
        )
        for e in run.exchanges
    )


def catalogue(litellm: str, upstream: str | None) -> list[Unit]:
    """Every unit for one proxy release in front of one fake vLLM profile."""
    server = resolve_upstream(upstream)
    profile = server.vllm
    units: list[Unit] = []
    for scenario in scenarios_for(profile, litellm):
        if not server.runs(scenario):
            continue
        seen: dict[bytes, tuple[tuple[WireRequest, ...], list[str]]] = {}
        for driver in REFERENCE:
            requests = asyncio.run(_driver_requests(scenario, profile, litellm, driver))
            if requests:
                key = orjson.dumps([r.to_json() for r in requests])
                seen.setdefault(key, (requests, []))[1].append(driver)
        for requests, drivers in seen.values():
            alias = f"{scenario.id}.{drivers[0]}"
            aliased = tuple(
                WireRequest(r.method, r.path, _rebody(r.body, alias), dict(r.headers))
                for r in requests
            )
            units.append(Unit(alias, f"scenario:{scenario.id}", tuple(drivers), aliased))
    units += [_extra_unit(name, path, body) for name, _, path, body in EXTRAS]
    units += [_probe_unit(probe) for probe in PROBES]
    return units


def _rebody(body: bytes | None, alias: str) -> bytes | None:
    if body is None:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    return orjson.dumps(_aliased(data, alias))


def build_upstream(unit_source: str, upstream: str | None, litellm: str) -> ASGIApp:
    """A fresh fake server (or canned upstream) for one unit."""
    server = resolve_upstream(upstream)
    profile = server.vllm
    kind, _, name = unit_source.partition(":")
    if kind == "scenario":
        scenario = SCENARIOS.get(name)
        if server.kind != "vllm":
            return server.backend().build(scenario)
        return scenario_backend(scenario, profile, None).build(scenario)
    if kind == "extra":
        options = next(o for n, o, _, _ in EXTRAS if n == name)
        if server.kind != "vllm":
            return server.app(tools=bool(options))
        return _vllm(profile, **options)
    probe = next(p for p in PROBES if p.name == name)
    faults = (FaultRule(fault=probe.fault),) if probe.fault else ()
    if server.kind != "vllm":
        return server.app(tools=True, faults=faults)
    return _vllm(profile, faults=faults, enable_auto_tool_choice=True, tool_call_parser="hermes")


UpstreamFactory = Callable[[str, str | None, str], ASGIApp]

"""The exact wire requests to send to both sides: every contract scenario that runs on the
fake vLLM profile of a release (through the reference drivers, against the fake), plus direct
probes the scenarios do not cover."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from typing import Any

from contracts._backends import Backend
from contracts._runner import run_cell
from contracts._scenario import WIRE, Scenario
from contracts.drivers import DRIVERS, REFERENCE
from contracts.scenarios import SCENARIOS
from contracts.scenarios._build import WEATHER_TOOL
from fakes.profiles import ChatMessageUnion, Knobs, resolve_vllm_profile
from reference.vllm_harness._setup import MODEL, NotMappable, Setup

DRIVER_NAMES = (*REFERENCE, "openai-python-chat", "openai-python-responses")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Case:
    setup: Setup
    calls: list[Call]


@dataclass
class Skipped:
    name: str
    reason: str


def _drivers() -> list[Any]:
    specs = [DRIVERS.get(name) for name in DRIVER_NAMES]
    return [s for s in specs if s.extra is None or importlib.util.find_spec(s.extra) is not None]


def _why_not(scenario: Scenario, backend: Backend) -> str | None:
    if scenario.runs_on == WIRE:
        return "wire scenario (canned bytes)"
    if scenario.faults:
        return "faults are the fake's own"
    if scenario.canned:
        return "canned routes are the fake's own"
    if scenario.script and any(rule.reply.error for rule in scenario.script.rules):
        return "a scripted error is the fake's own"
    if not backend.applies(scenario):
        return "does not apply to this release"
    return None


async def scenario_cases(version: str) -> tuple[list[Case], list[Skipped]]:
    profile, _ = resolve_vllm_profile(version, None)
    backend = Backend(profile.name, "vllm", profile)
    cases: list[Case] = []
    skipped: list[Skipped] = []
    for scenario in SCENARIOS.all():
        reason = _why_not(scenario, backend)
        script = scenario.script.model_dump(mode="json") if scenario.script else {}
        try:
            setup = Setup(scenario.id, _release_options(scenario.vllm, profile.knobs), script)
        except NotMappable as exc:
            reason = reason or str(exc)
        if reason is not None:
            skipped.append(Skipped(scenario.id, reason))
            continue
        key = scenario.api_key if scenario.api_key is not None else backend.server_key(scenario)
        seen: set[tuple[str, bytes]] = set()
        for spec in _drivers():
            if not scenario.requires <= spec.capabilities:
                continue
            run = await run_cell(spec, scenario, backend)
            calls = [_call(exchange, key) for exchange in run.exchanges]
            signature = tuple((c.path, c.body) for c in calls)
            if not calls or (signature[0] in seen and len(calls) == 1):
                continue
            seen.update(signature)
            cases.append(Case(Setup(f"{scenario.id}/{spec.name}", setup.options, script), calls))
    return cases, skipped


def _json_options(options: Any) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dict(options).items()}


# --enable-auto-tool-choice and --tool-call-parser arrive with "auto" (0.6.0)
_TOOL_PARSER_OPTIONS = ("enable_auto_tool_choice", "tool_call_parser")
_HERMES_FLAGS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}


def _release_options(options: Any, knobs: Knobs) -> dict[str, Any]:
    """A scenario's flags as the release has them: before 0.6 there are no tool-parser flags
    (its CLI refuses them), and a named tool_choice goes to guided decoding either way."""
    out = _json_options(options)
    if "auto" not in knobs.tool_choice_strings:
        out = {k: v for k, v in out.items() if k not in _TOOL_PARSER_OPTIONS}
    return out


def _call(exchange: dict[str, Any], key: str | None) -> Call:
    parsed, text = exchange.get("json"), exchange.get("body")
    raw = json.dumps(parsed).encode() if parsed is not None else (text or "").encode()
    headers = {"content-type": "application/json"} if raw else {}
    if key:
        headers["authorization"] = f"Bearer {key}"
    return Call(str(exchange["method"]), str(exchange["path"]), raw, headers)


_CHAT = "/v1/chat/completions"
_HI = [{"role": "user", "content": "Say hello"}]
_HELLO = {"rules": [{"reply": {"text": "Hello world"}}]}
_PARIS = {"name": "get_weather", "arguments": {"city": "Paris"}}
_WEATHER_CALL = {"rules": [{"reply": {"tool_calls": [_PARIS]}}]}


def _post(path: str, body: dict[str, Any]) -> Call:
    return Call("POST", path, json.dumps(body).encode(), {"content-type": "application/json"})


def probe_cases(version: str) -> list[Case]:
    """What the scenarios do not cover, one setup each."""
    knobs = resolve_vllm_profile(version, None)[0].knobs
    chat = {"model": MODEL, "messages": _HI}
    required = {**chat, "tools": [WEATHER_TOOL], "tool_choice": "required"}
    probes: list[tuple[str, dict[str, Any], list[Call]]] = [
        ("chat_eos", _HELLO, [_post(_CHAT, chat)]),
        ("chat_stream_eos", _HELLO, [_post(_CHAT, {**chat, "stream": True})]),
        (
            "chat_stream_eos_usage",
            _HELLO,
            [_post(_CHAT, {**chat, "stream": True, "stream_options": {"include_usage": True}})],
        ),
        (
            "chat_stream_continuous_usage",
            _HELLO,
            [
                _post(
                    _CHAT,
                    {
                        **chat,
                        "stream": True,
                        "stream_options": {"include_usage": True, "continuous_usage_stats": True},
                    },
                )
            ],
        ),
        ("chat_max_tokens", _HELLO, [_post(_CHAT, {**chat, "max_tokens": 1})]),
        # a validation error up to 0.8.2, the guided JSON list from 0.8.3 (no scenario sends
        # it); served with a tool parser, which it needs from 0.14
        ("chat_tool_choice_required", _WEATHER_CALL, [_post(_CHAT, required)]),
        (
            "chat_tool_choice_required_stream",
            _WEATHER_CALL,
            [_post(_CHAT, {**required, "stream": True})],
        ),
        (
            "chat_tool_choice_required_stream_usage",
            _WEATHER_CALL,
            [
                _post(
                    _CHAT,
                    {**required, "stream": True, "stream_options": {"include_usage": True}},
                )
            ],
        ),
        ("chat_stop_string", _HELLO, [_post(_CHAT, {**chat, "stop": [" wor"]})]),
        (
            "chat_stop_string_stream",
            _HELLO,
            [_post(_CHAT, {**chat, "stop": [" wor"], "stream": True})],
        ),
        ("models", {}, [Call("GET", "/v1/models")]),
        ("completions", _HELLO, [_post("/v1/completions", {"model": MODEL, "prompt": "Hi"})]),
        (
            "completions_stream",
            _HELLO,
            [_post("/v1/completions", {"model": MODEL, "prompt": "Hi", "stream": True})],
        ),
        ("responses", _HELLO, [_post("/v1/responses", {"model": MODEL, "input": "Hi"})]),
        (
            "responses_stream",
            _HELLO,
            [_post("/v1/responses", {"model": MODEL, "input": "Hi", "stream": True})],
        ),
        ("unknown_model", _HELLO, [_post(_CHAT, {"model": "nope", "messages": _HI})]),
        ("validation_error", _HELLO, [_post(_CHAT, {"model": MODEL})]),
        ("health", {}, [Call("GET", "/health")]),
        ("version", {}, [Call("GET", "/version")]),
    ]
    tool_flags = _release_options(_HERMES_FLAGS, knobs)
    return [
        Case(Setup(f"probe/{name}", tool_flags if "required" in name else {}, script), calls)
        for name, script, calls in probes
    ]


# --- chat messages no union member takes (0.4-0.6.4: knob chat_message_union) -------------

_USER = {"role": "user", "content": "Say hello"}
_ASKED = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {
            "id": "call-1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ],
}
_TOOL_ANSWER = {"role": "tool", "tool_call_id": "call-1", "content": "sunny"}


def message_shape_cases(version: str) -> list[Case]:
    """Messages with a key outside the release's message TypedDicts, in each position and
    role, values of the wrong type, and two that a member takes, for releases that validate
    each message against the union (the fake's knob says which)."""
    knobs = resolve_vllm_profile(version, None)[0].knobs
    if knobs.chat_message_union is ChatMessageUnion.NONE:
        return []
    conversations: list[list[Any]] = [
        [{**_USER, "metadata": {"a": 1}}],
        [{"role": "system", "content": "Be brief.", "cache_control": {"type": "ephemeral"}}, _USER],
        [_USER, _ASKED, {**_TOOL_ANSWER, "id": 7}],
        [_USER, _ASKED, {**_TOOL_ANSWER, "name": "w"}],  # the custom member takes it from 0.6
        [{"role": "developer", "content": "Be brief.", "priority": 1}, _USER],
        [{"role": "developer", "content": "Be brief."}, _USER],
        [{"role": "user", "content": 5}],
        ["Say hello"],
        [{"content": "Say hello"}],
        [{"role": "developer", "content": [{"type": "text", "text": "x", "extra": 1}, 5]}, _USER],
        [_USER, {"role": "assistant", "content": None, "function_call": {"name": "f"}}, _USER],
    ]
    calls = [_post(_CHAT, {"model": MODEL, "messages": turns}) for turns in conversations]
    return [Case(Setup("probe/message_shapes", {}, _HELLO), calls)]


# --- /v1/messages (Anthropic), from the first release that serves it -----------------------

_MESSAGES = "/v1/messages"
_TOOL_FLAGS = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}
_WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def messages_cases(version: str) -> list[Case]:
    """Anthropic requests, for releases whose profile serves /v1/messages."""
    knobs = resolve_vllm_profile(version, None)[0].knobs
    if not knobs.messages:
        return []
    ask = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "Say hi"}]}
    stream = {**ask, "stream": True}
    tools = {**ask, "tools": [_WEATHER]}
    turns = {
        **ask,
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Say hi"}]},
            {"role": "assistant", "content": "Hi"},
            {"role": "user", "content": "Again"},
        ],
    }
    probes: list[tuple[str, dict[str, Any], dict[str, Any], list[Call]]] = [
        ("messages", _HELLO, {}, [_post(_MESSAGES, ask)]),
        ("messages_stream", _HELLO, {}, [_post(_MESSAGES, stream)]),
        ("messages_system_turns", _HELLO, {}, [_post(_MESSAGES, turns)]),
        ("messages_max_tokens", _HELLO, {}, [_post(_MESSAGES, {**ask, "max_tokens": 1})]),
        (
            "messages_max_tokens_stream",
            _HELLO,
            {},
            [_post(_MESSAGES, {**stream, "max_tokens": 1})],
        ),
        ("messages_stop", _HELLO, {}, [_post(_MESSAGES, {**ask, "stop_sequences": [" wor"]})]),
        (
            "messages_stop_stream",
            _HELLO,
            {},
            [_post(_MESSAGES, {**stream, "stop_sequences": [" wor"]})],
        ),
        ("messages_tool", _WEATHER_CALL, _TOOL_FLAGS, [_post(_MESSAGES, tools)]),
        (
            "messages_tool_stream",
            _WEATHER_CALL,
            _TOOL_FLAGS,
            [_post(_MESSAGES, {**tools, "stream": True})],
        ),
        ("messages_tool_without_parser", _WEATHER_CALL, {}, [_post(_MESSAGES, tools)]),
        ("messages_unknown_model", _HELLO, {}, [_post(_MESSAGES, {**ask, "model": "nope"})]),
        ("messages_validation_error", _HELLO, {}, [_post(_MESSAGES, {"model": MODEL})]),
    ]
    if knobs.messages_count_tokens:
        probes.append(("messages_count_tokens", {}, {}, [_post(f"{_MESSAGES}/count_tokens", ask)]))
    return [
        Case(Setup(f"probe/{name}", options, script), calls)
        for name, script, options, calls in probes
    ]

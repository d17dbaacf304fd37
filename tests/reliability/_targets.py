"""The apps the reliability suite aims at, and what a well-formed answer from each looks like."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from openai.types import Completion, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseReasoningItem,
)
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.model.faults import FaultRule
from fakes.model.script import Script
from fakes.model.timing import Timing
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
    recorded_bodies: frozenset[bytes] = frozenset()  # every answer a replay may give


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
    return Target(
        "replay",
        "replay",
        Replayer([cassette], speed=0),
        routes,
        None,
        recorded_500s,
        recorded_bodies=frozenset(i.body for i in cassette.interactions),
    )


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


# --- what a well-formed success looks like ------------------------------------------------

CHAT_PATHS = {
    "/v1/chat/completions",
    "/chat/completions",
    "/engines/fake-model/chat/completions",
    "/openai/deployments/fake-model/chat/completions",
}
RESPONSES_PATHS = {"/v1/responses", "/responses"}
MODELS_PATHS = {"/v1/models", "/models"}


def _sse(body: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) of each SSE event, in order."""
    events: list[tuple[str | None, str]] = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.removeprefix(" "))
        if data:
            events.append((name, "\n".join(data)))
    return events


def _error_frame(payload: Any) -> bool:
    return isinstance(payload, dict) and (_nested(payload) or _flat(payload))


def _stream(
    body: bytes,
    chunk: Callable[[Any], Any],
    *,
    errors_allowed: bool,
    cut: bool,
    responses: bool = False,
) -> None:
    """Each event parses and has the endpoint's chunk shape; a chat or completions stream ends
    with [DONE] (an error frame, where one may come, ends what is checked)."""
    events = _sse(body)
    assert events, body[:500]
    for position, (name, data) in enumerate(events):
        if data == "[DONE]":
            assert not responses and position == len(events) - 1, body[-500:]
            return
        payload = orjson.loads(data)
        if _error_frame(payload):
            assert errors_allowed, ("an error frame nobody asked for", body[:500])
            continue
        if responses:
            assert isinstance(payload, dict) and isinstance(payload.get("type"), str), data
            assert name in (None, payload["type"]), (name, data)
            assert position or payload["type"] == "response.created", data
        else:
            chunk(payload)
    assert responses or cut, ("a stream without [DONE]", body[-500:])


# Where a real backend departs from openai's newest types, with where that was seen (a list
# index in a path is "*"): a 2xx may lack these fields ...
MAY_LACK = {
    # vLLM 0.4's completions chunks (profile knob: completions stream object)
    ("Completion", ("object",)): "vLLM 0.4 completions stream",
    # vLLM's ResponseUsage before 0.32 (recordings/vllm: 0.10.2 and 0.12.0 lack it)
    ("Response", ("usage", "input_tokens_details", "cache_write_tokens")): "vLLM before 0.32",
    # vLLM 0.10.0's /v1/responses usage is chat's UsageInfo (recordings/vllm/vllm-0.10.0.jsonl)
    ("Response", ("usage", "input_tokens")): "vLLM 0.10.0",
    ("Response", ("usage", "input_tokens_details")): "vLLM 0.10.0",
    ("Response", ("usage", "output_tokens")): "vLLM 0.10.0",
    ("Response", ("usage", "output_tokens_details")): "vLLM 0.10.0",
}
# ... or hold these values
MAY_HOLD = {
    # LiteLLM 1.74's /v1/responses bridge (recordings/litellm-1.74.15.post2.jsonl)
    ("Response", ("object",)): {"chat.completion"},
    ("ResponseOutputMessage", ("status",)): {"stop"},
    ("Response", ("usage", "input_tokens_details")): {None},
    ("Response", ("usage", "output_tokens_details")): {None},
    # a streamed completion chunk before the last (openai-python reads it without validating)
    ("Completion", ("choices", "*", "finish_reason")): {None},
}
OUTPUT_ITEMS: dict[str, type[BaseModel]] = {
    "message": ResponseOutputMessage,
    "reasoning": ResponseReasoningItem,
    "function_call": ResponseFunctionToolCall,
}


def validated(model: type[BaseModel]) -> Callable[[Any], None]:
    """A check of a payload against ``model``, allowing only the departures listed above."""
    name = model.__name__

    def allowed(error: Any) -> bool:
        where = (name, tuple("*" if isinstance(at, int) else at for at in error["loc"]))
        if error["type"] == "missing":
            return where in MAY_LACK
        return error.get("input") in MAY_HOLD.get(where, ())

    def check(payload: Any) -> None:
        try:
            model.model_validate(payload)
        except ValidationError as exc:
            wrong = [error for error in exc.errors() if not allowed(error)]
            where = [(error["loc"], error["msg"]) for error in wrong[:3]]
            assert wrong == [], (name, len(wrong), where, str(payload)[:300])

    return check


def _response(payload: Any) -> None:
    """openai's Response, each output item checked as the type its ``type`` names."""
    assert isinstance(payload, dict) and isinstance(payload.get("output"), list), payload
    validated(Response)({**payload, "output": []})
    for item in payload["output"]:
        validated(OUTPUT_ITEMS[item["type"]])(item)


def _control_plane(path: str, method: str, parsed: Any) -> None:
    if path == "/_fake/requests":
        if method == "DELETE":
            assert parsed == {"cleared": True}, parsed
        else:
            assert set(parsed) == {"requests", "total", "limit"}, parsed
            assert all({"id", "method", "path"} <= set(row) for row in parsed["requests"])
    elif path.startswith("/_fake/requests/"):
        assert parsed["id"] == int(path.rsplit("/", 1)[1]), parsed
    elif path == "/_fake/reset":
        assert parsed == {"reset": True}, parsed
    elif path == "/_fake/script":
        validated(Script)(parsed)
    elif path == "/_fake/faults":
        assert isinstance(parsed, list), parsed
        for rule in parsed:
            validated(FaultRule)(rule)
    elif path == "/_fake/timing":
        validated(Timing)(parsed)
    elif path == "/_fake/profile":
        assert list(parsed) == ["name", "base", "version", "versions", "overrides", "knobs"]
    else:
        raise AssertionError(f"a 2xx from an unknown control route {path}")


def check_success(
    target: Target,
    request: dict[str, Any],
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    """A status below 400 carries what the endpoint answers: a redirect to the route without
    its trailing slash (FastAPI's and Starlette's redirect_slashes), or a body that parses and
    validates as the endpoint's own type (openai's, the fake's control plane models)."""
    path = httpx.URL(request["path"]).path
    if 300 <= status < 400:
        assert status == 307 and path.endswith("/"), (status, path)
        assert httpx.URL(headers["location"]).path == path.rstrip("/"), headers
        return
    assert 200 <= status < 300, status
    fault = request["headers"].get("x-fake-fault") or ""
    cut = body.endswith(b"<cut>")
    if cut:  # the transport saw the connection drop: only where a cut was asked or recorded
        assert "cut" in fault or target.kind == "replay", (request, body[-200:])
        body = body.removesuffix(b"<cut>")
    if target.kind == "replay":
        assert body in target.recorded_bodies, ("a 2xx the cassette never recorded", body[:300])
        return
    streamed = headers.get("content-type", "").startswith("text/event-stream")
    if cut and streamed:
        body = body[: body.rfind(b"\n\n") + 2]  # the events before the cut
    errors_allowed = "error_frame" in fault or target.kind in ("litellm", "recorder")
    if path == "/health" and target.kind != "litellm":
        assert body == b"", body[:200]
    elif path == "/metrics" and target.kind != "litellm":
        names = {family.name for family in text_string_to_metric_families(body.decode())}
        assert "vllm:num_requests_running" in names, names
    elif path in CHAT_PATHS and streamed:
        _stream(body, validated(ChatCompletionChunk), errors_allowed=errors_allowed, cut=cut)
    elif path == "/v1/completions" and streamed:
        _stream(body, validated(Completion), errors_allowed=errors_allowed, cut=cut)
    elif path in RESPONSES_PATHS and streamed:
        _stream(body, lambda _: None, errors_allowed=errors_allowed, cut=cut, responses=True)
    else:
        parsed = orjson.loads(body)
        if path in CHAT_PATHS:
            validated(ChatCompletion)(parsed)
        elif path == "/v1/completions":
            validated(Completion)(parsed)
        elif path in RESPONSES_PATHS:
            _response(parsed)
        elif path in MODELS_PATHS:
            assert parsed["object"] == "list" and parsed["data"], parsed
            for card in parsed["data"]:
                validated(Model)(card)
        elif path == "/version" and target.kind != "litellm":
            assert list(parsed) == ["version"] and isinstance(parsed["version"], str), parsed
        elif path == "/health/liveliness" and target.kind == "litellm":
            assert parsed == "I'm alive!", parsed
        elif path == "/health/readiness" and target.kind == "litellm":
            assert parsed["status"] == "healthy", parsed
        elif path.startswith("/_fake/"):
            _control_plane(path, request["method"], parsed)
        else:
            raise AssertionError(f"a {status} from {target.name} {path}: no known shape")

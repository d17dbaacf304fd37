"""The router scenarios: one config with several model groups in front of fake vLLM replicas
(some always failing), and a sequence of requests whose order matters (cooldowns carry
from one to the next). The same replicas serve the real proxy and the fake.

Routing is made deterministic for the real proxy by weights: ``simple-shuffle`` picks by
``weight``, and a weight of 1e-12 beside 1 is never picked while the other is healthy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.model.faults import Fault, FaultKind, FaultRule
from fakes.model.timing import Timing
from fakes.profiles import builtin
from fakes.vllm import VllmConfig, create_vllm_app
from reference.litellm_conformance._units import AUTH, MASTER_KEY

VLLM_PROFILE = "vllm-0.9"
COOLDOWN = 60  # longer than the whole run: a cooled-down deployment stays cooled
SHORT_CONTEXT = 64  # the "small" replica's max_model_len


@dataclass(frozen=True)
class Replica:
    name: str
    failing: bool = False  # every request answered with vLLM's 500
    max_model_len: int = 8192
    ttft: float = 0.0  # seconds before the answer: keeps concurrent requests in flight
    refusal: str | None = None  # every request answered with vLLM's 400 with this message


REPLICAS = (
    Replica("a1", failing=True),
    Replica("b1"),
    Replica("a2", failing=True),
    Replica("c2"),
    Replica("a3", failing=True),
    Replica("a4", failing=True),
    Replica("s5", max_model_len=SHORT_CONTEXT),
)

Params = dict[str, Any]  # a deployment's extra litellm_params (weight, rpm, tpm)
# model group -> its deployments as (replica, params)
GROUPS: dict[str, tuple[tuple[str, Params], ...]] = {
    "fleet": (("a1", {"weight": 1.0}), ("b1", {"weight": 1e-12})),
    "solo": (("a2", {"weight": 1.0}),),
    "backup": (("c2", {"weight": 1.0}),),
    "pair": (("a3", {"weight": 1.0}), ("a4", {"weight": 1e-12})),
    "small": (("s5", {"weight": 1.0}),),
}
ROUTER_SETTINGS = {
    "num_retries": 2,
    "allowed_fails": 1,
    "cooldown_time": COOLDOWN,
    "fallbacks": [{"solo": ["backup"]}],
    "context_window_fallbacks": [{"small": ["backup"]}],
}
NAMED = {"b1"}  # deployments given a model_info.id (the others get LiteLLM's hash)
HI = [{"role": "user", "content": "hi"}]
LONG = [{"role": "user", "content": " ".join(["word"] * 200)}]


@dataclass(frozen=True)
class Step:
    label: str
    body: dict[str, Any] | None
    path: str = "/v1/chat/completions"
    concurrent: bool = False  # its upstream calls race: the replicas are compared sorted
    copies: int = 1  # sent at once; their answers are compared sorted by deployment
    # seconds the real proxy is left alone before this step: it counts a stream's tokens in
    # a logging callback that runs some milliseconds after the stream has ended (the fake
    # counts them as the stream ends, so it is not kept waiting)
    settle: float = 0.0
    key: str = MASTER_KEY  # the bearer key sent
    # copies sent at once whose upstream requests are held until one answer has come back:
    # the proxy refuses the others while the first is in flight (max_parallel_requests)
    held: bool = False
    # copies sent one after another (not at once), still compared sorted by deployment: the
    # order of picks among equals is the proxy's random draw
    one_by_one: bool = False

    @property
    def request(self) -> dict[str, Any]:
        headers = {**AUTH, "authorization": f"Bearer {self.key}"}
        return {
            "method": "GET" if self.body is None else "POST",
            "path": self.path,
            "headers": headers,
            "body": None if self.body is None else orjson.dumps(self.body).decode(),
        }


STEPS = (
    Step(
        "fleet: the failing replica twice, cooled down, then the healthy one",
        {"model": "fleet", "messages": HI},
    ),
    Step(
        "fleet: straight to the healthy one while the other cools",
        {"model": "fleet", "messages": HI},
    ),
    Step("fleet, streamed", {"model": "fleet", "messages": HI, "stream": True}),
    Step("solo: retries with backoff, then the fallback group", {"model": "solo", "messages": HI}),
    Step("solo again", {"model": "solo", "messages": HI}),
    Step("pair: both replicas fail", {"model": "pair", "messages": HI}),
    Step("pair again", {"model": "pair", "messages": HI}),
    Step("pair: no deployment left", {"model": "pair", "messages": HI}),
    Step(
        "small: a prompt over the context window goes to its fallback",
        {"model": "small", "messages": LONG},
    ),
    Step(
        "/v1/completions to fleet: the healthy replica while the other cools",
        {"model": "fleet", "prompt": "hi", "max_tokens": 5},
        "/v1/completions",
    ),
    Step(
        "/v1/completions to pair: no deployment left",
        {"model": "pair", "prompt": "hi"},
        "/v1/completions",
    ),
    Step("keyed /health: every deployment probed at once", None, "/health", concurrent=True),
    Step("keyed /health of one group", None, "/health?model=fleet", concurrent=True),
)


# Limits: usage-based-routing-v2 with rpm and tpm per deployment, no retries.
# (A group of two picks the first at random: both unused. One deployment each is deterministic.)
LIMIT_REPLICAS = (Replica("d1"), Replica("d3"))
LIMIT_GROUPS: dict[str, tuple[tuple[str, Params], ...]] = {
    "limited": (("d1", {"rpm": 3}),),
    "tokens": (("d3", {"tpm": 40}),),
}
LIMIT_SETTINGS = {"routing_strategy": "usage-based-routing-v2", "num_retries": 0}
LIMIT_STEPS = tuple(
    Step(f"limited #{n}", {"model": "limited", "messages": HI}) for n in range(1, 4)
) + tuple(Step(f"tokens #{n}", {"model": "tokens", "messages": HI}) for n in range(1, 4))


@dataclass(frozen=True)
class Run:
    """One proxy start: its replicas, config and steps, recorded in one file."""

    name: str
    replicas: tuple[Replica, ...]
    groups: dict[str, tuple[tuple[str, Params], ...]]
    settings: dict[str, Any]
    named: frozenset[str]  # deployments given a model_info.id (the others: LiteLLM's hash)
    steps: tuple[Step, ...]
    vllm_profile: str = VLLM_PROFILE  # the replicas' release
    # per-key limits (rpm_limit, tpm_limit, max_parallel_requests) by key: the real proxy
    # reads them from a custom_auth module, the fake from general_settings.llm_fakes_keys
    keys: dict[str, dict[str, int]] = field(default_factory=dict)


FAILOVER = Run("failover", REPLICAS, GROUPS, ROUTER_SETTINGS, frozenset(NAMED), STEPS)
LIMITS = Run(
    "limits",
    LIMIT_REPLICAS,
    LIMIT_GROUPS,
    LIMIT_SETTINGS,
    frozenset({"d1", "d3"}),
    LIMIT_STEPS,
)


# Streamed answers under the same limits: a stream's tokens count once it has ended.
def _streamed(label: str, model: str, **extra: Any) -> Step:
    body = {"model": model, "messages": HI, "stream": True, **extra}
    return Step(label, body, settle=0.5)


STREAM_LIMITS = Run(
    "stream-limits",
    (Replica("d1"), Replica("d3"), Replica("d4")),
    {**LIMIT_GROUPS, "usage": (("d4", {"tpm": 40}),)},
    LIMIT_SETTINGS,
    frozenset({"d1", "d3", "d4"}),
    tuple(_streamed(f"tokens, streamed #{n}", "tokens") for n in range(1, 4))
    + tuple(_streamed(f"limited, streamed #{n}", "limited") for n in range(1, 4))
    + tuple(
        _streamed(f"usage asked, streamed #{n}", "usage", stream_options={"include_usage": True})
        for n in range(1, 4)
    ),
)
# least-busy: requests sent together spread over the replicas, a tie goes to the first.
BUSY_STEPS = (
    Step("least-busy: one request", {"model": "busy", "messages": HI}),
    Step("two at once", {"model": "busy", "messages": HI}, concurrent=True, copies=2),
    Step("three at once", {"model": "busy", "messages": HI}, concurrent=True, copies=3),
)
BUSY = Run(
    "busy",
    (Replica("e1"), Replica("e2")),
    {"busy": (("e1", {}), ("e2", {}))},
    {"routing_strategy": "least-busy"},
    frozenset({"e1", "e2"}),
    BUSY_STEPS,
)


# /v1/responses through the router, in front of replicas that serve it (vLLM 0.34): the same
# failover as chat (a failing replica cooled down, a group whose one replica fails falls back).
def _responses(label: str, model: str, *, stream: bool = False) -> Step:
    body: dict[str, Any] = {"model": model, "input": "hi", "max_output_tokens": 5}
    return Step(label, body | {"stream": True} if stream else body, "/v1/responses")


RESPONSES_STEPS = (
    _responses(
        "responses to fleet: the failing replica, cooled down, then the healthy one", "fleet"
    ),
    _responses("responses to fleet: straight to the healthy one", "fleet"),
    _responses("responses to fleet, streamed", "fleet", stream=True),
    _responses("responses to solo: retries, then the fallback group", "solo"),
    _responses("responses to pair: both replicas fail", "pair"),
    _responses("responses to pair again", "pair"),
    _responses("responses to pair: no deployment left", "pair"),
)
RESPONSES = Run(
    "responses",
    tuple(r for r in REPLICAS if r.name != "s5"),
    {group: GROUPS[group] for group in ("fleet", "solo", "backup", "pair")},
    {key: value for key, value in ROUTER_SETTINGS.items() if key != "context_window_fallbacks"},
    frozenset(NAMED),
    RESPONSES_STEPS,
    vllm_profile="vllm-0.34",
)

# content_policy_fallbacks: an upstream 400 whose message LiteLLM's exception mapping reads as a
# ContentPolicyViolationError (litellm_core_utils/exception_mapping_utils.py, both releases:
# "Invalid prompt" with "violating our usage policy", or "request was rejected as a result of
# the safety system"), in vLLM's error body.
POLICY_MESSAGE = (
    "Invalid prompt: your prompt was flagged as potentially violating our usage policy. "
    "Please try again with a different prompt."
)
SAFETY_MESSAGE = "Your request was rejected as a result of the safety system."
POLICY = Run(
    "content-policy",
    (
        Replica("p1", refusal=POLICY_MESSAGE),
        Replica("p2", refusal=SAFETY_MESSAGE),
        Replica("p3", refusal=POLICY_MESSAGE),
        Replica("c2"),
    ),
    {
        "guarded": (("p1", {"weight": 1.0}),),
        "safety": (("p2", {"weight": 1.0}),),
        "strict": (("p3", {"weight": 1.0}),),
        "backup": (("c2", {"weight": 1.0}),),
    },
    {
        "num_retries": 2,
        "allowed_fails": 1,
        "cooldown_time": COOLDOWN,
        "fallbacks": [{"strict": ["backup"]}],
        "content_policy_fallbacks": [{"guarded": ["backup"]}, {"safety": ["backup"]}],
    },
    frozenset({"p1", "p2", "p3", "c2"}),
    (
        Step(
            "guarded: a content-policy 400 goes to its content_policy_fallbacks",
            {"model": "guarded", "messages": HI},
        ),
        Step("guarded again", {"model": "guarded", "messages": HI}),
        Step("guarded, streamed", {"model": "guarded", "messages": HI, "stream": True}),
        Step("safety: the other wording", {"model": "safety", "messages": HI}),
        Step(
            "strict: a content-policy 400 with only a plain fallback",
            {"model": "strict", "messages": HI},
        ),
        Step(
            "/v1/completions to guarded",
            {"model": "guarded", "prompt": "hi", "max_tokens": 5},
            "/v1/completions",
        ),
    ),
)
# Per-deployment timeouts in front of slow replicas (2 s to the first byte): a deployment's
# `timeout` (and `stream_timeout` for streams) ends the attempt; retries, cooldown and
# fallbacks as for any failure.
SLOW = 2.0
TIMEOUT_S = 0.5
TIMEOUTS = Run(
    "timeouts",
    (
        Replica("t1", ttft=SLOW),
        Replica("t2", ttft=SLOW),
        Replica("b2"),
        Replica("t3", ttft=SLOW),
        Replica("c2"),
        Replica("t4", ttft=SLOW),
    ),
    {
        "slow": (("t1", {"timeout": TIMEOUT_S}),),
        "slowpair": (("t2", {"weight": 1.0, "timeout": TIMEOUT_S}), ("b2", {"weight": 1e-12})),
        "slowfb": (("t3", {"timeout": TIMEOUT_S}),),
        "backup": (("c2", {}),),
        "streamy": (("t4", {"stream_timeout": TIMEOUT_S}),),
    },
    {
        "num_retries": 1,
        "allowed_fails": 1,
        "cooldown_time": COOLDOWN,
        "fallbacks": [{"slowfb": ["backup"]}],
    },
    frozenset({"t1", "t2", "b2", "t3", "c2", "t4"}),
    (
        Step("slow: the deployment's timeout, retried once", {"model": "slow", "messages": HI}),
        Step("slow again", {"model": "slow", "messages": HI}),
        Step(
            "slowpair: the slow one times out, and is picked again by weight on the retry",
            {"model": "slowpair", "messages": HI},
        ),
        Step("slowfb: times out, then its fallback group", {"model": "slowfb", "messages": HI}),
        Step(
            "streamy, streamed: stream_timeout",
            {"model": "streamy", "messages": HI, "stream": True},
        ),
        Step("streamy, not streamed: no timeout applies", {"model": "streamy", "messages": HI}),
    ),
)
# Names users give groups: model_group_alias (a name served by another group) and
# default_fallbacks (every group's last resort); the keyed /health by the provider's model.
ALIASES = Run(
    "aliases",
    (Replica("b1"), Replica("a1", failing=True), Replica("c2")),
    {
        "main": (("b1", {}),),
        "broken": (("a1", {}),),
        "backup": (("c2", {}),),
    },
    {
        "num_retries": 0,
        "model_group_alias": {"gpt-4o": "main", "legacy": "broken"},
        "default_fallbacks": ["backup"],
    },
    frozenset({"b1", "a1", "c2"}),
    (
        Step("an alias: its group answers", {"model": "gpt-4o", "messages": HI}),
        Step("an alias, streamed", {"model": "gpt-4o", "messages": HI, "stream": True}),
        Step("a failing group: default_fallbacks", {"model": "broken", "messages": HI}),
        Step("an alias of the failing group", {"model": "legacy", "messages": HI}),
        Step("an unknown model", {"model": "nope", "messages": HI}),
        Step(
            "/v1/completions to an alias",
            {"model": "gpt-4o", "prompt": "hi", "max_tokens": 5},
            "/v1/completions",
        ),
        Step("/v1/models lists the aliases", None, "/v1/models"),
        Step(
            "keyed /health by the provider's model",
            None,
            "/health?model=hosted_vllm/fake-model",
            concurrent=True,
        ),
    ),
)
# retry_policy and allowed_fails_policy: retries and the cooldown threshold per exception type.
POLICIES = Run(
    "policies",
    (
        Replica("a1", failing=True),
        Replica("b1"),
        Replica("a2", failing=True),
        Replica("r1", refusal="That is not a valid request."),
    ),
    {
        "fleet": (("a1", {"weight": 1.0}), ("b1", {"weight": 1e-12})),
        "solo": (("a2", {"weight": 1.0}),),
        "picky": (("r1", {"weight": 1.0}),),
    },
    {
        "num_retries": 3,
        "allowed_fails": 5,
        "cooldown_time": COOLDOWN,
        "retry_policy": {"InternalServerErrorRetries": 1, "BadRequestErrorRetries": 2},
        "allowed_fails_policy": {"InternalServerErrorAllowedFails": 0},
    },
    frozenset({"a1", "b1", "a2", "r1"}),
    (
        Step("solo: one retry for a 500, whatever num_retries", {"model": "solo", "messages": HI}),
        Step("fleet: the 500 cools a1 at once", {"model": "fleet", "messages": HI}),
        Step("fleet again", {"model": "fleet", "messages": HI}),
        Step("picky: a 400 with BadRequestErrorRetries", {"model": "picky", "messages": HI}),
    ),
)
# Per-key limits with no database: the real proxy asks a custom_auth function for the key's
# UserAPIKeyAuth (rpm_limit, tpm_limit, max_parallel_requests), which drives its parallel
# request limiter as a /key/generate key's would. One healthy replica, 20 tokens an answer.
RPM_KEY = "sk-keys-rpm-limited"
TPM_KEY = "sk-keys-tpm-limited"
PARALLEL_KEY = "sk-keys-one-at-a-time"
BOTH_KEY = "sk-keys-rpm-and-tpm"


def _keyed(
    label: str, key: str, *, settle: float = 0.0, model: str = "keyed", **extra: Any
) -> Step:
    return Step(label, {"model": model, "messages": HI, **extra}, key=key, settle=settle)


KEYS = Run(
    "keys",
    (Replica("k1"), Replica("k2")),
    {"keyed": (("k1", {}),), "pair": (("k1", {"weight": 1.0}), ("k2", {"weight": 1e-12}))},
    {"num_retries": 0},
    frozenset({"k1", "k2"}),
    (
        *(_keyed(f"rpm_limit 2, #{n}", RPM_KEY) for n in range(1, 4)),
        _keyed("rpm_limit 2, #4, to a group of two", RPM_KEY, model="pair"),
        # the real proxy counts an answer's tokens in a callback after the answer
        *(_keyed(f"tpm_limit 30, #{n}", TPM_KEY, settle=0.5) for n in range(1, 4)),
        Step(
            "max_parallel_requests 1: two at once",
            {"model": "keyed", "messages": HI},
            key=PARALLEL_KEY,
            concurrent=True,
            copies=2,
            held=True,
        ),
        _keyed("max_parallel_requests 1: alone again", PARALLEL_KEY, settle=0.5),
        _keyed("rpm and tpm limits, streamed #1", BOTH_KEY, settle=0.5, stream=True),
        _keyed("rpm and tpm limits, streamed #2", BOTH_KEY, settle=0.5, stream=True),
        _keyed("rpm and tpm limits, plain", BOTH_KEY, settle=0.5),
    ),
    keys={
        RPM_KEY: {"rpm_limit": 2},
        TPM_KEY: {"tpm_limit": 30},
        PARALLEL_KEY: {"max_parallel_requests": 1},
        BOTH_KEY: {"rpm_limit": 5, "tpm_limit": 1000},
    },
)
# latency-based-routing: the lowest mean latency of a deployment's recent calls; one never
# used counts as 0, so each is tried once (in a random order) before the faster one wins.
LATENCY = Run(
    "latency",
    (Replica("slow", ttft=0.5), Replica("fast")),
    {"lat": (("slow", {}), ("fast", {}))},
    {"routing_strategy": "latency-based-routing", "num_retries": 0},
    frozenset({"slow", "fast"}),
    (
        Step(
            "latency: two in a row, each deployment tried once",
            {"model": "lat", "messages": HI},
            copies=2,
            one_by_one=True,
            settle=0.5,  # the latency of a call is logged by a callback after its answer
        ),
        Step("latency: then the faster one", {"model": "lat", "messages": HI}, settle=0.5),
        Step("latency: the faster one again", {"model": "lat", "messages": HI}),
        Step("latency, streamed: the faster one", {"model": "lat", "messages": HI, "stream": True}),
    ),
)
# A deployment's own max_parallel_requests (litellm_params): the router's slot around each
# attempt. Two requests at once to a group of one whose deployment takes one at a time.
PARALLEL = Run(
    "parallel",
    (Replica("q1"),),
    {"narrow": (("q1", {"max_parallel_requests": 1}),)},
    {"num_retries": 0},
    frozenset({"q1"}),
    (
        Step(
            "deployment max_parallel_requests 1: two at once",
            {"model": "narrow", "messages": HI},
            concurrent=True,
            copies=2,
            held=True,
        ),
        Step(
            "deployment max_parallel_requests 1: alone again", {"model": "narrow", "messages": HI}
        ),
    ),
)
RUNS = {
    run.name: run
    for run in (
        FAILOVER,
        LIMITS,
        BUSY,
        RESPONSES,
        STREAM_LIMITS,
        POLICY,
        TIMEOUTS,
        ALIASES,
        POLICIES,
        KEYS,
        LATENCY,
        PARALLEL,
    )
}


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.12f}"  # 1e-12 would be a string to YAML 1.1
    return orjson.dumps(value).decode()


AUTH_MODULE = "keys_auth"  # written beside the real proxy's config for a run with keys
AUTH_TEXT = """from litellm.proxy._types import UserAPIKeyAuth

KEYS = {keys}


async def user_api_key_auth(request, api_key):
    if api_key not in KEYS:
        raise Exception("unknown key")
    return UserAPIKeyAuth(api_key=api_key, **KEYS[api_key])
"""


def auth_module(run: Run) -> str:
    """The real proxy's custom_auth module for a run with per-key limits."""
    return AUTH_TEXT.format(keys=repr(run.keys))


def config_text(run: Run, base: str, real: bool = True) -> str:
    """The config a proxy reads; ``base`` is the replicas' hub. Per-key limits come from the
    custom_auth module (real) or general_settings.llm_fakes_keys (the fake)."""
    lines = ["model_list:"]
    for group, deployments in run.groups.items():
        for replica, params in deployments:
            info = ["    model_info:", f"      id: {replica}"] if replica in run.named else []
            lines += [
                f"  - model_name: {group}",
                *info,
                "    litellm_params:",
                "      model: hosted_vllm/fake-model",
                f"      api_base: {base}/{replica}/v1",
                "      api_key: none",
                *(f"      {key}: {_value(value)}" for key, value in params.items()),
            ]
    lines.append("router_settings:")
    for key, value in run.settings.items():
        lines.append(f"  {key}: {orjson.dumps(value).decode()}")
    lines += ["general_settings:", f"  master_key: {MASTER_KEY}"]
    if run.keys and real:
        lines.append(f"  custom_auth: {AUTH_MODULE}.user_api_key_auth")
    elif run.keys:
        lines.append(f"  llm_fakes_keys: {orjson.dumps(run.keys).decode()}")
    return "\n".join(lines) + "\n"


class Hits:
    """Which replica each upstream request reached, in order. For a step sent several times
    at once, every upstream request is held until all have arrived: each pick is made while
    the others are in flight, whatever the machine's speed."""

    GATE_TIMEOUT = 30.0
    # a held request goes on after this long without an answer: a proxy that queues the
    # others behind it (1.74's max_parallel_requests semaphore) answers none meanwhile
    HELD_AT_MOST = 2.0

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.at: list[float] = []  # monotonic, when each arrived
        self.running = 0
        self.expect(1)

    def expect(self, count: int, held: bool = False) -> None:
        """Set by the sender before a step (from its own thread)."""
        self.expected = count
        self.arrived = 0
        self.gate: asyncio.Event | None = None
        self.held = held
        self.released = threading.Event()
        self.peak = 0  # the most upstream requests in flight at once during the step

    def release(self) -> None:
        """A held step's first answer has come back (from the sender's thread)."""
        self.released.set()

    async def _hold(self) -> None:
        self.arrived += 1
        if self.held:
            await asyncio.to_thread(self.released.wait, self.HELD_AT_MOST)
            return
        if self.expected <= 1:
            return
        if self.gate is None:
            self.gate = asyncio.Event()  # in the replicas' event loop
        if self.arrived >= self.expected:
            self.gate.set()
        await asyncio.wait_for(self.gate.wait(), self.GATE_TIMEOUT)

    def wrap(self, name: str, app: ASGIApp) -> ASGIApp:
        async def counted(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].endswith(("/completions", "/responses")):
                self.seen.append(name)
                self.at.append(time.monotonic())
                self.running += 1
                self.peak = max(self.peak, self.running)
                try:
                    await self._hold()
                    await app(scope, receive, send)
                finally:
                    self.running -= 1
                return
            await app(scope, receive, send)

        return counted

    def since(self, mark: int) -> list[str]:
        return self.seen[mark:]

    def offsets(self, mark: int, started: float) -> list[float]:
        return [round(t - started, 3) for t in self.at[mark:]]


def replica_apps(run: Run, hits: Hits) -> dict[str, ASGIApp]:
    profile = builtin("vllm").get(run.vllm_profile)
    apps: dict[str, ASGIApp] = {}
    for replica in run.replicas:
        faults: tuple[FaultRule, ...] = ()
        if replica.failing:
            faults = (FaultRule(fault=Fault(kind=FaultKind.HTTP_ERROR, status=500)),)
        elif replica.refusal is not None:
            refusal = Fault(kind=FaultKind.HTTP_ERROR, status=400, message=replica.refusal)
            faults = (FaultRule(fault=refusal),)
        app = create_vllm_app(
            VllmConfig(
                profile=profile,
                version=profile.reference,
                served_model_names=("fake-model",),
                faults=faults,
                max_model_len=replica.max_model_len,
                replica_name=replica.name,
                timing=Timing(ttft=replica.ttft),
            )
        )
        apps[replica.name] = hits.wrap(replica.name, app)
    return apps


Factory = Callable[[Hits], dict[str, ASGIApp]]

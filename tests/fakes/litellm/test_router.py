"""The router's parts: settings read from the config, the seeded weighted pick, LiteLLM's
backoff formula, and the fallback hint."""

from __future__ import annotations

import httpx
import pytest

from fakes.litellm import ConfigError, parse_config, resolve_litellm_profile
from fakes.litellm._errors import ProxyError
from fakes.litellm._router import backoff, pick
from fakes.litellm._router_config import Strategy
from fakes.litellm._state import LitellmState
from reference.litellm_conformance._router_units import FAILOVER, POLICY, Run

PROFILE, RELEASE = resolve_litellm_profile("1.110.2", None)
GROUP = """model_list:
  - model_name: m
    litellm_params: {model: hosted_vllm/x, api_base: "http://a/v1", weight: 3}
  - model_name: m
    litellm_params: {model: hosted_vllm/x, api_base: "http://b/v1", weight: 1}
  - model_name: solo
    litellm_params: {model: hosted_vllm/x, api_base: "http://c/v1"}
"""


def _state(settings: str = "") -> LitellmState:
    text = GROUP + settings + "general_settings: {master_key: sk-a-Str0ng-key-for-tests}\n"
    return LitellmState(parse_config(text, "c.yaml", PROFILE, RELEASE, {}), None)


def test_router_settings_are_read() -> None:
    state = _state(
        "router_settings:\n  routing_strategy: least-busy\n  allowed_fails: 1\n"
        "  fallbacks: [{m: [solo]}]\n  context_window_fallbacks: [{solo: [m]}]\n"
        "  retry_after: 2\n  llm_fakes_seed: 7\n"
    )
    router = state.config.router
    assert router.strategy is Strategy.LEAST_BUSY and router.allowed_fails == 1
    assert router.fallbacks == {"m": ("solo",)} and router.context_window_fallbacks == {
        "solo": ("m",)
    }
    assert (router.retry_after, router.seed) == (2.0, 7)
    assert state.config.group("m")[0].weight == 3.0 and state.config.routed


def test_an_unknown_strategy_lists_the_valid_ones_with_its_line() -> None:
    with pytest.raises(ConfigError, match=r"c.yaml:9: .*'fastest'.*simple-shuffle, least-busy"):
        _state("router_settings:\n  routing_strategy: fastest\n")


def test_fallbacks_must_have_litellms_shape() -> None:
    with pytest.raises(ConfigError, match="maps one model group to a list"):
        _state("router_settings:\n  fallbacks: [m, solo]\n")


def test_the_weighted_pick_is_seeded_and_follows_the_weights() -> None:
    def picks(seed: int) -> list[str]:
        state = _state(f"router_settings:\n  llm_fakes_seed: {seed}\n")
        group = list(state.config.group("m"))
        return [str(pick(state, group).api_base) for _ in range(400)]

    first = picks(1)
    assert first == picks(1) and first != picks(2)
    share = first.count("http://a/v1") / len(first)
    assert 0.65 < share < 0.85  # weight 3 of 4


def test_latency_based_routing_tries_the_unused_then_the_lowest_mean() -> None:
    state = _state("router_settings:\n  routing_strategy: latency-based-routing\n")
    a, b = state.config.group("m")
    fleet = state.fleet
    first = [pick(state, [a, b]) for _ in range(40)]
    assert {d.api_base for d in first} == {a.api_base, b.api_base}  # a tie: drawn at random
    fleet.record_latency(a, 0.2)
    assert pick(state, [a, b]) is b  # never used: counts as 0
    fleet.record_latency(b, 0.5)
    assert pick(state, [a, b]) is a
    for _ in range(10):  # only the last ten samples count
        fleet.record_latency(b, 0.1)
    assert fleet.average_latency(b) == pytest.approx(0.1) and pick(state, [a, b]) is b


def test_no_sleep_while_another_deployment_is_healthy() -> None:
    state = _state()
    assert backoff(state, ProxyError("x", 500), 0, group_size=2, healthy=1) == 0.0


@pytest.mark.parametrize(("attempt", "floor"), [(0, 0.5), (1, 1.0), (2, 2.0), (5, 8.0)])
def test_a_group_of_one_sleeps_litellms_exponential_backoff(attempt: int, floor: float) -> None:
    state = _state()
    seconds = backoff(state, ProxyError("x", 500), attempt, group_size=1, healthy=1)
    assert floor <= seconds <= floor + 0.75


def test_the_upstreams_retry_after_wins_up_to_a_minute() -> None:
    state = _state()
    told = ProxyError("x", 429, headers=[("retry-after", "3")])
    assert 3 <= backoff(state, told, 0, group_size=1, healthy=0) <= 3.75
    too_long = ProxyError("x", 429, headers=[("retry-after", "120")])
    assert backoff(state, too_long, 0, group_size=1, healthy=0) <= 1.25


def test_usage_v2_passes_over_a_deployment_one_request_before_its_rpm() -> None:
    from fakes.litellm import _usage

    text = (
        "model_list:\n  - model_name: m\n    litellm_params: {model: hosted_vllm/x, "
        'api_base: "http://a/v1", rpm: 3}\nrouter_settings: {routing_strategy: '
        "usage-based-routing-v2}\ngeneral_settings: {master_key: sk-a-Str0ng-key-for-tests}\n"
    )
    state = LitellmState(parse_config(text, "c.yaml", PROFILE, RELEASE, {}), None)
    state.fleet.minute = lambda: "00-00"  # the counters are per minute: never straddle two
    limited = state.config.group("m")[0]
    assert _usage.candidates(state, [limited], 8) == [limited]  # unused this minute
    state.fleet.count_request(limited)
    assert _usage.candidates(state, [limited], 8) == [limited]  # 1 + 1 < 3
    state.fleet.count_request(limited)
    assert _usage.candidates(state, [limited], 8) == []  # 2 + 1 >= 3
    assert _usage.headers(state, (limited,)) == [
        ("x-ratelimit-remaining-requests", "1"),
        ("x-ratelimit-limit-requests", "3"),
    ]


@pytest.mark.parametrize("counts", [True, False])
def test_least_busy_counts_in_flight_or_takes_the_first(counts: bool) -> None:
    state = _state("router_settings: {routing_strategy: least-busy}\n")
    state.set_knobs({"least_busy_counts_in_flight": counts})
    first, second = state.config.group("m")
    state.fleet.in_flight[first.model_id] = 1  # one request still open on the first
    assert pick(state, [first, second]) is (second if counts else first)


@pytest.mark.parametrize("release", ["1.110.2", "1.74.15.post2"])
async def test_usage_headers_count_this_call_per_release(release: str) -> None:
    import httpx

    from fakes.litellm import create_litellm_app
    from fakes.transports.streaming import StreamingASGITransport
    from fakes.vllm import create_vllm_app
    from tests.conftest import vllm_config

    profile, resolved = resolve_litellm_profile(release, None)
    text = (
        "model_list:\n  - model_name: m\n    litellm_params: {model: hosted_vllm/fake-model, "
        'api_base: "http://upstream.fake/v1", rpm: 3}\nrouter_settings: {routing_strategy: '
        "usage-based-routing-v2}\ngeneral_settings: {master_key: sk-a-Str0ng-key-for-tests}\n"
    )
    config = parse_config(text, "c.yaml", profile, resolved, {})
    upstream = create_vllm_app(vllm_config("0.9.2"))
    proxy = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxy), base_url="http://proxy"
    ) as client:
        answer = await client.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": "Bearer sk-a-Str0ng-key-for-tests"},
        )
    assert answer.status_code == 200
    # seen on the real proxies: 1.110 counts this call (3 -> 2), 1.74 does not (3 -> 3)
    expected = "2" if profile.knobs.usage_headers_count_this_call else "3"
    assert answer.headers["x-ratelimit-remaining-requests"] == expected
    assert profile.knobs.usage_headers_count_this_call is (release == "1.110.2")


@pytest.mark.parametrize(
    ("limit", "estimated", "include_usage", "limit_tokens", "header_tokens"),
    [
        (False, False, False, None, 20),  # 1.110.2: the upstream's usage, headers only
        (True, True, False, 22, 22),  # 1.74: the estimate (8 prompt + 14 text), limits too
        (True, True, True, 20, 20),  # 1.74 with include_usage: the upstream's usage
        (True, False, False, 20, 20),
    ],
)
async def test_a_streams_tokens_count_once_it_has_ended(
    limit: bool, estimated: bool, include_usage: bool, limit_tokens: int | None, header_tokens: int
) -> None:
    """stream_tokens_limit / stream_tokens_estimated, as seen in
    recordings/litellm/router-stream-limits-litellm-*.json."""
    import httpx

    from fakes.litellm import create_litellm_app
    from fakes.transports.streaming import StreamingASGITransport
    from fakes.vllm import create_vllm_app
    from tests.conftest import vllm_config

    text = (
        "model_list:\n  - model_name: m\n    litellm_params: {model: hosted_vllm/fake-model, "
        'api_base: "http://upstream.fake/v1", tpm: 40}\nrouter_settings: {routing_strategy: '
        "usage-based-routing-v2}\ngeneral_settings: {master_key: sk-a-Str0ng-key-for-tests}\n"
    )
    config = parse_config(text, "c.yaml", PROFILE, RELEASE, {})
    upstream = create_vllm_app(vllm_config("0.9.2"))
    proxy = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    state: LitellmState = proxy.state.fake
    state.set_knobs({"stream_tokens_limit": limit, "stream_tokens_estimated": estimated})
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxy), base_url="http://proxy"
    ) as client:
        answer = await client.post(
            "/v1/chat/completions",
            json=body,
            headers={"Authorization": "Bearer sk-a-Str0ng-key-for-tests"},
        )
        assert answer.status_code == 200 and answer.text.endswith("data: [DONE]\n\n")
    deployment = state.config.group("m")[0]
    assert state.fleet.tokens_now(deployment) == limit_tokens
    assert state.fleet.header_tokens_now(deployment) == header_tokens


async def _answers(
    run: Run,
    release: str,
    models: list[str],
    knobs: dict[str, bool],
    body: dict[str, object] | None = None,
    path: str = "/v1/chat/completions",
) -> tuple[list[httpx.Response], list[str]]:
    """Requests to ``models`` in turn (a chat "hi" unless ``body``) to a conformance run's
    config and replicas through the fake LiteLLM of ``release`` with ``knobs`` set; the
    answers and the replicas reached."""
    from fakes.litellm import create_litellm_app
    from fakes.transports.streaming import StreamingASGITransport
    from reference.litellm_conformance._router_units import Hits, config_text, replica_apps
    from reference.litellm_conformance._stacks import Hub
    from reference.litellm_conformance._units import AUTH

    profile, resolved = resolve_litellm_profile(release, None)
    config = parse_config(config_text(run, "http://upstream.fake"), "c", profile, resolved, {})
    hits = Hits()
    proxy = create_litellm_app(
        config, transport=StreamingASGITransport(Hub(replica_apps(run, hits)))
    )
    proxy.state.fake.set_knobs(knobs)
    answers = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=proxy), base_url="http://proxy"
    ) as client:
        for model in models:
            sent = body or {"messages": [{"role": "user", "content": "hi"}]}
            answers.append(await client.post(path, json={**sent, "model": model}, headers=AUTH))
    return answers, hits.seen


async def _policy_answer(release: str, model: str, knobs: dict[str, bool]) -> httpx.Response:
    answers, _ = await _answers(POLICY, release, [model], knobs)
    return answers[0]


@pytest.mark.parametrize("first_only", [True, False])
async def test_1_74_cools_a_deployment_down_on_a_requests_first_failure_only(
    first_only: bool,
) -> None:
    """cooldown_first_failure_only, as recorded in router-litellm-1.74.15.post2.json: with
    allowed_fails 1, 1.74 tries the failing a1 three times in the first request and cools it
    at the second request's first failure; 1.110 cools it after its second failure."""
    answers, replicas = await _answers(
        FAILOVER, "1.74.15.post2", ["fleet", "fleet"], {"cooldown_first_failure_only": first_only}
    )
    if first_only:
        assert [a.status_code for a in answers] == [500, 200]
        assert replicas == ["a1", "a1", "a1", "a1", "b1"]
        assert answers[1].headers["x-litellm-attempted-retries"] == "1"
    else:
        assert [a.status_code for a in answers] == [200, 200]
        assert replicas == ["a1", "a1", "b1", "b1"]


@pytest.mark.parametrize("note", [True, False])
async def test_1_74_names_the_missing_fallback_group_and_the_retries(note: bool) -> None:
    """no_fallback_note: `pair` has no fallback while `solo` has one."""
    answers, _ = await _answers(FAILOVER, "1.74.15.post2", ["pair"], {"no_fallback_note": note})
    message = answers[0].json()["error"]["message"]
    bare = "litellm.InternalServerError: InternalServerError: Hosted_vllmException - Injected fault"
    missing = "No fallback model group found for original model_group=pair. Fallbacks=[{'solo': ['backup']}]"
    if note:
        assert message == (
            f"{bare}{missing}. Received Model Group=pair\nAvailable Model Group Fallbacks=None\n"
            f"Error doing the fallback: {bare}{missing} LiteLLM Retried: 1 times, "
            "LiteLLM Max Retries: 2"
        )
    else:
        assert missing not in message


@pytest.mark.parametrize("mapped", [True, False])
@pytest.mark.parametrize("model", ["guarded", "safety"])
async def test_a_content_policy_refusal_goes_to_content_policy_fallbacks(
    mapped: bool, model: str
) -> None:
    """content_policy_errors, as recorded in router-content-policy-litellm-*.json: both
    wordings LiteLLM maps to ContentPolicyViolationError fall back to `backup` at once."""
    answer = await _policy_answer("1.110.2", model, {"content_policy_errors": mapped})
    if mapped:
        assert answer.status_code == 200
        assert answer.headers["x-litellm-model-id"] == "c2"
        assert answer.headers["x-litellm-attempted-fallbacks"] == "1"
    else:  # a plain 400: no fallback of any kind
        assert answer.status_code == 400
        assert "ContentPolicyViolationError" not in answer.json()["error"]["message"]


@pytest.mark.parametrize("note", [True, False])
async def test_without_a_content_policy_fallback_1_74_repeats_the_refusal(note: bool) -> None:
    """`strict` has only a plain fallback: the refusal is not sent there on either release;
    1.74 appends it again after "Error doing the fallback: " (content_policy_fallback_note)."""
    answer = await _policy_answer("1.74.15.post2", "strict", {"content_policy_fallback_note": note})
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    refusal = (
        "litellm.BadRequestError: litellm.ContentPolicyViolationError: "
        "ContentPolicyViolationError: Hosted_vllmException - Invalid prompt: your prompt was "
        "flagged as potentially violating our usage policy. Please try again with a different "
        "prompt."
    )
    assert message.startswith(refusal + ". Received Model Group=strict\n")
    assert message.endswith(f"\nError doing the fallback: {refusal}") is note


@pytest.mark.parametrize("openai_errors", [True, False])
async def test_1_74_names_a_completions_error_as_its_openai_client_does(
    openai_errors: bool,
) -> None:
    """completions_openai_errors, as recorded (router-litellm-1.74.15.post2.json, step 10)."""
    body = {"model": "pair", "prompt": "hi", "max_tokens": 5}
    knobs = {"completions_openai_errors": openai_errors}
    answers, _ = await _answers(FAILOVER, "1.74.15.post2", ["pair"], knobs, body, "/v1/completions")
    answer = answers[0]
    assert answer.status_code == 500
    message = answer.json()["error"]["message"]
    named = "OpenAIException - Error code: 500 - Injected fault"
    assert message.startswith(f"litellm.InternalServerError: InternalServerError: {named}") is (
        openai_errors
    )
    assert ("x-litellm-call-id" in answer.headers) is not openai_errors


def test_an_alias_names_its_groups_deployments_and_keeps_their_ids() -> None:
    state = _state("router_settings:\n  model_group_alias: {gpt-4o: m, ghost: nowhere}\n")
    config = state.config
    aliased = config.group("gpt-4o")
    assert [d.model_name for d in aliased] == ["gpt-4o", "gpt-4o"]
    assert [d.model_id for d in aliased] == [d.model_id for d in config.group("m")]
    assert config.group("ghost") == ()  # an alias of no group serves nothing
    assert config.model_names == ["gpt-4o", "m", "solo"]  # aliases first, as both list them
    assert [d.model_name for d in config.model_list] == ["gpt-4o", "gpt-4o", "m", "m", "solo"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("model_group_alias: [m]", "model_group_alias must map names to model groups"),
        ("model_group_alias: {a: {model: m, hidden: true}}", "hidden"),
        ("default_fallbacks: solo", "default_fallbacks must be a list of model group names"),
    ],
)
def test_alias_and_default_fallback_settings_are_checked(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _state(f"router_settings:\n  {value}\n")


def test_default_fallbacks_are_read() -> None:
    state = _state("router_settings:\n  default_fallbacks: [solo]\n  fallbacks: [{m: [m]}]\n")
    assert state.config.router.default_fallbacks == ("solo",)


@pytest.mark.parametrize("provider_first", [False, True])
def test_health_targets_by_group_name_or_by_provider_model_first(provider_first: bool) -> None:
    from fakes.litellm._health import _targeted

    text = (
        "model_list:\n  - model_name: hosted_vllm/x\n    litellm_params: {model: hosted_vllm/y, "
        'api_base: "http://n/v1"}\n' + GROUP.removeprefix("model_list:\n")
    )
    text += "general_settings: {master_key: sk-a-Str0ng-key-for-tests}\n"
    state = LitellmState(parse_config(text, "c.yaml", PROFILE, RELEASE, {}), None)
    state.set_knobs({"health_model_by_provider_first": provider_first})
    named = [d.api_base for d in _targeted(state, "hosted_vllm/x")]
    # a group is named like another deployment's provider model: which list wins is the knob
    assert named == (
        ["http://a/v1", "http://b/v1", "http://c/v1"] if provider_first else ["http://n/v1"]
    )
    assert [d.api_base for d in _targeted(state, "m")] == ["http://a/v1", "http://b/v1"]
    assert len(_targeted(state, None)) == 4


def test_retry_and_allowed_fails_policies_are_read_by_exception_type() -> None:
    state = _state(
        "router_settings:\n  retry_policy: {BadRequestErrorRetries: 2, TimeoutErrorRetries: 0}\n"
        "  allowed_fails_policy: {InternalServerErrorAllowedFails: 0}\n"
    )
    router = state.config.router
    assert router.retry_policy == {"BadRequestError": 2, "TimeoutError": 0}
    assert router.allowed_fails_policy == {"InternalServerError": 0}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("retry_policy: {ServerRetries: 1}", "retry_policy.ServerRetries is not one of: "),
        ("retry_policy: [1]", "retry_policy must map exception types to numbers"),
        ("allowed_fails_policy: {RateLimitErrorRetries: 1}", "RateLimitErrorAllowedFails"),
    ],
)
def test_a_policy_names_litellms_exception_types(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _state(f"router_settings:\n  {value}\n")


@pytest.mark.parametrize(("honoured", "expected"), [(True, 0), (False, None)])
def test_an_internal_server_error_entry_counts_where_the_release_knows_it(
    honoured: bool, expected: int | None
) -> None:
    from fakes.litellm._router import _from_policy

    state = _state("router_settings:\n  retry_policy: {InternalServerErrorRetries: 0}\n")
    state.set_knobs({"policy_internal_server_error": honoured})
    policy = state.config.router.retry_policy
    assert _from_policy(state, policy, ProxyError("x", 500)) == expected
    assert _from_policy(state, policy, ProxyError("x", 400)) is None  # no BadRequest entry

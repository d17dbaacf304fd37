"""Per-key limits without a database: the config's virtual keys (general_settings.
llm_fakes_keys), LiteLLM's two limiter forms (sliding window on 1.110, per minute on 1.74),
their 429s and x-ratelimit-* headers. The wire form of each is held to the real proxies by
the router recordings (run ``keys``); these pin the rules one by one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fakes.litellm import ConfigError, KeyLimits, parse_config, resolve_litellm_profile
from fakes.litellm._errors import ProxyError
from fakes.litellm._keys import KeyCounters, cap_output, reservation
from tests.fakes.litellm.conftest import litellm_stack

LIMITED = "sk-test-limited-key"
AS_LIMITED = {"Authorization": f"Bearer {LIMITED}"}
HI = [{"role": "user", "content": "hi"}]
CONFIG = """model_list:
  - model_name: m
    litellm_params: {model: hosted_vllm/x, api_base: "http://a/v1"}
general_settings:
  master_key: sk-a-Str0ng-key-for-tests
"""


def _parse(keys: str) -> dict[str, KeyLimits]:
    profile, release = resolve_litellm_profile("1.110.2", None)
    config = parse_config(CONFIG + keys, "c.yaml", profile, release, {})
    assert not [w for w in config.warnings if "llm_fakes_keys" in w]
    return dict(config.keys)


def test_virtual_keys_are_read_from_general_settings() -> None:
    keys = _parse("  llm_fakes_keys:\n    sk-a: {rpm_limit: 2, max_parallel_requests: 1}\n")
    assert keys == {"sk-a": KeyLimits(rpm_limit=2, max_parallel_requests=1)}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("sk-a: {rpm: 2}", r"c.yaml:7: .*sk-a: unknown field 'rpm'; valid: rpm_limit, tpm_limit"),
        ("sk-a: {tpm_limit: -1}", r"c.yaml:7: .*sk-a.tpm_limit must be a non-negative integer"),
        ("sk-a: [1]", r"c.yaml:7: .*sk-a must be a mapping"),
    ],
)
def test_a_bad_virtual_key_is_one_line_naming_it(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _parse(f"  llm_fakes_keys:\n    {entry}\n")


async def test_a_listed_key_is_served_and_an_unlisted_one_is_not() -> None:
    keys = {LIMITED: KeyLimits()}
    async with litellm_stack("1.110.2", keys=keys) as stack:
        ok = await stack.client.post(
            "/v1/chat/completions", json={"model": "fake-model", "messages": HI}, headers=AS_LIMITED
        )
        other = await stack.client.post(
            "/v1/chat/completions",
            json={"model": "fake-model", "messages": HI},
            headers={"Authorization": "Bearer sk-someone-else"},
        )
        master = await stack.chat()
    assert ok.status_code == 200 and master.status_code == 200
    assert "x-ratelimit-api_key-remaining-requests" not in ok.headers  # no limits, no headers
    assert (other.status_code, other.json()["error"]["message"]) == (400, "No connected db.")


async def _chats(
    version: str, limits: KeyLimits, times: int
) -> tuple[list[httpx.Response], list[Any]]:
    """The limited key's answers to ``times`` chats, and what reached the upstream."""
    async with litellm_stack(version, keys={LIMITED: limits}) as stack:
        answers = [
            await stack.client.post(
                "/v1/chat/completions",
                json={"model": "fake-model", "messages": HI},
                headers=AS_LIMITED,
            )
            for _ in range(times)
        ]
        return answers, stack.upstream_requests()


async def test_1_110_refuses_past_rpm_limit_naming_the_hashed_key() -> None:
    answers, upstream = await _chats("1.110.2", KeyLimits(rpm_limit=2), 3)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-ratelimit-api_key-remaining-requests"] for a in answers[:2]] == ["1", "0"]
    assert answers[0].headers["x-litellm-key-rpm-limit"] == "2"
    refused = answers[2]
    digest = hashlib.sha256(LIMITED.encode()).hexdigest()
    message = refused.json()["error"]["message"]
    assert message.startswith(
        f"Rate limit exceeded for api_key: {digest}. Limit type: requests. "
        "Current limit: 2, Remaining: 0. Limit resets at: "
    )
    assert refused.json()["error"]["type"] == "throttling_error"
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["rate_limit_type"] == "requests"
    resets = datetime.strptime(refused.headers["reset_at"], "%Y-%m-%d %H:%M:%S UTC")
    assert message.endswith(refused.headers["reset_at"])
    assert resets.replace(tzinfo=UTC) > datetime.now(UTC)  # a minute ahead, to the second
    assert len(upstream) == 2  # the refused request never left the proxy


async def test_1_110_caps_an_uncapped_request_under_a_small_tpm_limit() -> None:
    answers, upstream = await _chats("1.110.2", KeyLimits(tpm_limit=30), 1)
    assert upstream[0].json_body()["max_tokens"] == 7  # 30 x 0.25
    # 8 tokens reserved (1 for "hi", 7 of output), settled with the answer's usage after
    assert answers[0].headers["x-ratelimit-api_key-remaining-tokens"] == "22"


def test_the_reservation_is_the_prompt_by_four_characters_plus_an_output_budget() -> None:
    assert reservation({"messages": HI}, 30) == 1 + 7
    assert reservation({"messages": HI, "max_tokens": 5}, 30) == 1 + 5
    long = [{"role": "user", "content": [{"type": "text", "text": "x" * 400}]}]
    assert reservation({"messages": long}, 100_000) == 100 + 1024  # the floor tops at 1024
    assert reservation({"messages": HI, "n": 3, "max_tokens": 2}, 30) == 1 + 6
    assert reservation({"messages": []}, 30) == 1  # at least one token


def test_the_output_cap_leaves_explicit_caps_and_large_limits_alone() -> None:
    capped, explicit, large = {"messages": HI}, {"messages": HI, "max_tokens": 50}, {}
    cap_output(capped, 100)
    cap_output(explicit, 100)
    cap_output(large, 4096)
    assert (capped["max_tokens"], explicit["max_tokens"], "max_tokens" in large) == (25, 50, False)


async def test_1_74_refuses_past_tpm_limit_with_its_own_words() -> None:
    answers, _ = await _chats("1.74.15", KeyLimits(tpm_limit=30), 3)
    assert [a.status_code for a in answers] == [200, 200, 429]
    # tokens counted after each answer: 20 of 30, then 40
    assert [a.headers["x-ratelimit-remaining-tokens"] for a in answers[:2]] == ["10", "-10"]
    refused = answers[2]
    assert refused.json()["error"] == {
        "message": "LiteLLM Rate Limit Handler for rate limit type = key. Crossed TPM / RPM / "
        "Max Parallel Request Limit. current rpm: 2, rpm limit: 9223372036854775807, current "
        "tpm: 40, tpm limit: 30, current max_parallel_requests: 0, max_parallel_requests: "
        "9223372036854775807",
        "type": "None",
        "param": "None",
        "code": "429",
    }
    assert 0 < float(refused.headers["retry-after"]) <= 60  # to the clock's next minute
    assert "x-litellm-model-id" not in refused.headers


@pytest.mark.parametrize("version", ["1.74.15", "1.110.2"])
def test_max_parallel_requests_holds_a_slot_until_the_call_ends(version: str) -> None:
    knobs = resolve_litellm_profile(version, None)[0].knobs
    counters = KeyCounters(lambda: "00-00")
    limits = KeyLimits(max_parallel_requests=1)
    first = counters.admit(knobs, LIMITED, limits, {"messages": HI})
    with pytest.raises(ProxyError) as refused:
        counters.admit(knobs, LIMITED, limits, {"messages": HI})
    assert refused.value.status == 429
    counters.succeeded(knobs, first, 20)
    second = counters.admit(knobs, LIMITED, limits, {"messages": HI})
    counters.failed(knobs, second)  # a failed call frees its slot too
    counters.admit(knobs, LIMITED, limits, {"messages": HI})


def test_a_failed_call_refunds_its_reserved_tokens_on_1_110() -> None:
    knobs = resolve_litellm_profile("1.110.2", None)[0].knobs
    counters = KeyCounters(lambda: "00-00")
    limits = KeyLimits(tpm_limit=10)  # 1 + max(1, 2) = 3 tokens a request
    held = [counters.admit(knobs, LIMITED, limits, {"messages": HI}) for _ in range(3)]
    with pytest.raises(ProxyError, match=r"Limit type: tokens\. Current limit: 10, Remaining: 1"):
        counters.admit(knobs, LIMITED, limits, {"messages": HI})
    counters.failed(knobs, held[0])
    assert counters.admit(knobs, LIMITED, limits, {"messages": HI}).reserved == 3

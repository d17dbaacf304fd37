"""The LiteLLM router: deployments of one model group picked by weight (seeded), retries across
them, per-deployment failure counts and cooldowns, and fallbacks to other groups.

Each rule was seen on the real proxy (1.110.2) in front of fake vLLM replicas, one failing
(reference/litellm_conformance/router.py, recorded in recordings/litellm/router-*.json):
- a failed attempt counts against its deployment; more than ``allowed_fails`` failures
  cool it down for ``cooldown_time`` seconds (a single-deployment group too);
- the next attempt picks again among the healthy deployments; none left ends the retries;
- no sleep between attempts while other healthy deployments exist; a group of one sleeps
  LiteLLM's backoff (``_calculate_retry_after``: 0.5 s x 2^n, at most 8 s, or the upstream's
  retry-after up to 60 s, plus up to 0.75 s of jitter);
- a group with no healthy deployment at its first attempt is the "No deployments available"
  429; fallbacks (``fallbacks``, ``context_window_fallbacks``) take over from the failed
  group, the answer then names the fallback deployment and ``x-litellm-attempted-fallbacks``;
  a content-policy refusal goes to ``content_policy_fallbacks`` only.

1.74 (seen the same way, its knobs): only a request's first failed attempt counts toward
``allowed_fails`` (``cooldown_first_failure_only``), and an error of a group without
fallbacks names that in its own words (``no_fallback_note``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from fakes.litellm import _errors, _usage
from fakes.litellm._config import Deployment
from fakes.litellm._fleet import TIMEOUT_LATENCY, Fleet
from fakes.litellm._headers import CallInfo
from fakes.litellm._router_config import Strategy
from fakes.litellm._state import LitellmState

T = TypeVar("T")
INITIAL_RETRY_DELAY = 0.5  # litellm/constants.py
MAX_RETRY_DELAY = 8.0
JITTER = 0.75
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
_NO_FALLBACK = " No fallback was attempted."


def _weighted(fleet: Fleet, healthy: list[Deployment]) -> Deployment:
    """simple-shuffle: by ``weight``, else ``rpm``, else ``tpm``; uniform without any."""
    for metric in ("weight", "rpm", "tpm"):
        weights = [float(getattr(d, metric) or 0) for d in healthy]
        if max(weights, default=0.0) > 0:
            return fleet.random.choices(healthy, weights=weights)[0]
    return fleet.random.choice(healthy)


def pick(state: LitellmState, healthy: list[Deployment]) -> Deployment:
    fleet = state.fleet
    strategy = state.config.router.strategy
    if strategy is Strategy.LEAST_BUSY:  # the first of the least busy
        if not state.knobs.least_busy_counts_in_flight:
            return healthy[0]
        return min(healthy, key=lambda d: fleet.in_flight.get(d.model_id, 0))
    if strategy is Strategy.LATENCY:  # the lowest mean latency, a tie drawn at random
        lowest = min(fleet.average_latency(d) for d in healthy)
        tied = [d for d in healthy if fleet.average_latency(d) == lowest]
        return tied[0] if len(tied) == 1 else fleet.random.choice(tied)
    return _weighted(fleet, healthy)


def backoff(
    state: LitellmState, error: _errors.ProxyError, attempt: int, group_size: int, healthy: int
) -> float:
    """Seconds before the next attempt (litellm's ``_time_to_sleep_before_retry``)."""
    if group_size > 1 and healthy > 0:
        return 0.0
    jitter = JITTER * state.fleet.random.random()
    given = dict(error.headers).get("retry-after")
    if given is not None:
        try:
            seconds = float(given)
        except ValueError:
            seconds = 0.0
        if 0 < seconds <= 60:
            return seconds + jitter
    sleep = max(INITIAL_RETRY_DELAY * 2.0**attempt, state.config.router.retry_after)
    return min(sleep, MAX_RETRY_DELAY) + jitter


def _healthy(state: LitellmState, group: tuple[Deployment, ...]) -> list[Deployment]:
    return [d for d in group if state.cooling(d) is None]


def no_deployments(state: LitellmState, model: str) -> _errors.ProxyError:
    """Every cooled-down deployment is listed, whatever its group (seen on 1.110.2)."""
    entries = [
        (model_id, entry.exception, entry.status, entry.timestamp)
        for model_id, entry in list(state.cooldowns.items())
        if entry.until > time.monotonic()
    ]
    return _errors.cooldown(state.knobs, model, entries, state.config.cooldown_time)


def _policy_type(error: _errors.ProxyError) -> str:
    """The exception type a policy names (LiteLLM tests them in this order; a content-policy
    refusal is a BadRequestError first)."""
    if error.timed_out or error.status == 408:
        return "TimeoutError"
    return _errors.error_class(error.status)


def _from_policy(
    state: LitellmState, policy: Mapping[str, int], error: _errors.ProxyError
) -> int | None:
    """The policy's number for this error's type (1.74.15.post2 router_utils/
    get_retry_from_policy.py:19-70 and router.py:7046-7085 know no InternalServerError
    entry: ``policy_internal_server_error``)."""
    kind = _policy_type(error)
    if kind == "InternalServerError" and not state.knobs.policy_internal_server_error:
        return None
    return policy.get(kind)


async def _in_group(
    state: LitellmState,
    call: CallInfo,
    model: str,
    attempt_one: Callable[[Deployment], Awaitable[T]],
    input_tokens: int,
) -> T:
    group = state.config.group(model)
    retries = state.config.num_retries
    settings = state.config.router
    last: _errors.ProxyError | None = None
    by_policy = False  # the retries come from retry_policy, which retries even a 400
    attempt = 0
    while attempt <= retries:
        healthy = _healthy(state, group)
        if not healthy:
            if last is not None:
                raise last
            raise no_deployments(state, model)
        if settings.strategy is Strategy.USAGE_V2:
            below = _usage.candidates(state, healthy, input_tokens)
            if not below:
                raise _usage.exhausted(state, model, healthy)
            deployment = state.fleet.random.choice(below)
            state.fleet.count_request(deployment)
        else:
            deployment = pick(state, healthy)
        call.deployment = deployment
        call.retries = attempt
        call.max_retries = retries
        fleet = state.fleet
        fleet.in_flight[deployment.model_id] = fleet.in_flight.get(deployment.model_id, 0) + 1
        started = time.monotonic()
        try:
            async with state.slots.held(state.knobs, deployment, call):
                answer = await attempt_one(deployment)
        except _errors.ProxyError as error:
            if last is None:  # the first failure's type sets the retries (retry_policy)
                told = _from_policy(state, settings.retry_policy, error)
                by_policy = told is not None
                retries = retries if told is None else told
            last = error
            if error.timed_out:  # latency-based-routing holds a timeout against it
                fleet.record_latency(deployment, TIMEOUT_LATENCY)
            allowed = _from_policy(state, settings.allowed_fails_policy, error)
            allowed = settings.allowed_fails if allowed is None else allowed
            counted = attempt == 0 or not state.knobs.cooldown_first_failure_only
            # 1.110 holds a caller-set timeout against no deployment (cooldown_handlers.py
            # is_caller_timeout_408, router_rust/surface/health.py:270-297)
            counted = counted and (not error.timed_out or state.knobs.timeouts_cool_down)
            if error.status in RETRYABLE and counted and fleet.failed(deployment) > allowed:
                short = _errors.short_upstream(deployment, error.status, error.message)
                state.cool_down(deployment, short, error.status)
            if attempt > 0:
                error.retried = (retries - 1, retries)
            if not (error.status in RETRYABLE or by_policy) or attempt >= retries:
                raise
            left = len(_healthy(state, group))
            if not left:
                raise
            await asyncio.sleep(backoff(state, error, attempt, len(group), left))
            attempt += 1
            continue
        finally:
            fleet.in_flight[deployment.model_id] -= 1
        fleet.record_latency(deployment, time.monotonic() - started)
        return answer
    assert last is not None
    raise last


def _context_window(error: _errors.ProxyError) -> bool:
    text = error.message.lower()
    return error.status == 400 and ("context length" in text or "context window" in text)


def _hint(state: LitellmState) -> str:
    configured = list(dict.fromkeys(state.config.router.fallbacks))
    listed = f" Fallbacks are configured for: {', '.join(configured)}."
    return (
        f" no fallback model group was found for it, so the request was not retried on another "
        f"model.{listed} Add a fallbacks entry for that model group (Router fallbacks or proxy "
        "router_settings.fallbacks) to retry on another model."
    )


def _note_no_fallback(state: LitellmState, error: _errors.ProxyError, model: str) -> None:
    """1.74: a group without fallbacks while others have some (router.py:3806-3812 and
    3840-3851 of 1.74.15.post2); seen in the failover run's fleet and pair errors."""
    if error.bare is None:
        return
    listed = ", ".join(
        f"{{{group!r}: {list(targets)!r}}}"
        for group, targets in state.config.router.fallbacks.items()
    )
    bare = f"{error.bare}No fallback model group found for original model_group={model}. "
    bare += f"Fallbacks=[{listed}]"
    text = bare
    if error.retried is not None:  # litellm's exception __str__ (exceptions.py)
        last, allowed = error.retried
        text += f" LiteLLM Retried: {last} times" if last else ""
        text += f", LiteLLM Max Retries: {allowed}" if allowed else ""
    error.message = f"{_errors.received_model_group(bare, model)}\nError doing the fallback: {text}"


async def route(
    state: LitellmState,
    call: CallInfo,
    model: str,
    attempt_one: Callable[[Deployment], Awaitable[T]],
    input_tokens: int = 0,
) -> T:
    """The group's answer, else its fallbacks' in order; the group's error when all fail."""
    settings = state.config.router
    try:
        return await _in_group(state, call, model, attempt_one, input_tokens)
    except _errors.ProxyError as error:
        # a content-policy refusal has its own list when one is configured (without one, read
        # and not run: 1.110 would go on to the plain fallbacks, 1.74 not; here: a plain 400)
        policy = error.content_policy and bool(settings.content_policy_fallbacks)
        if policy:
            chain = settings.content_policy_fallbacks
        elif _context_window(error):
            chain = settings.context_window_fallbacks
        else:
            chain = settings.fallbacks
        targets = chain.get(model, ())
        if chain is settings.fallbacks and not targets:
            targets = settings.default_fallbacks
        special = policy or _context_window(error)
        if not special and error.status < 500 and error.status not in (408, 429):
            targets = ()
        for depth, target in enumerate(targets, start=1):
            try:
                answer = await _in_group(state, call, target, attempt_one, input_tokens)
            except _errors.ProxyError:
                continue
            call.fallbacks = depth
            return answer
        knobs = state.knobs
        # 1.74 re-raises inside its fallback block, which notes it: a refusal without a
        # content-policy fallback (its list defaults to []), a group missing from `fallbacks`
        if error.content_policy and not targets and knobs.content_policy_fallback_note:
            error.message += f"\nError doing the fallback: {error.bare}"
        elif (
            not special
            and not error.content_policy
            and settings.fallbacks
            and model not in settings.fallbacks
            and knobs.no_fallback_note
        ):
            _note_no_fallback(state, error, model)
        if (
            settings.fallbacks
            and not targets
            and not policy
            and error.message.endswith(_NO_FALLBACK)
        ):
            error.message = error.message.removesuffix(
                " failed with the error above." + _NO_FALLBACK
            )
            error.message += " failed with the error above and" + _hint(state)
        raise

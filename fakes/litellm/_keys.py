"""Per-key limits: LiteLLM's parallel request limiter for a key with ``rpm_limit``,
``tpm_limit`` or ``max_parallel_requests``, in the two forms its releases use (knob
``key_limiter``), each admitting a call before it is routed and settling it when it ends.

- sliding window (1.110.2 ``proxy/hooks/parallel_request_limiter_v3.py``, the default hook
  there): a 60 s window opened by the key's first request; the request counter goes up even
  for a request it refuses (``_in_memory_cache_sliding_window``, :1171-1191, then
  ``is_cache_list_over_limit``, :1198-1236); in-flight slots (``_gauge_status``, :1505); tokens
  reserved up front (``_estimate_input_and_output_tokens``, :1032-1156: the prompt's
  characters / 4, at least 1, plus ``max_tokens`` or max(that, tpm_limit / 4 up to 1024)) and
  settled with the answer's usage, refunded on a failure; a tpm_limit under 4096 also caps an
  uncapped request's ``max_tokens`` (``_apply_implicit_output_cap``, :904-955);
- per minute (1.74.15 ``proxy/hooks/parallel_request_limiter.py``, its default hook): counters
  per key and minute checked before the call (``check_key_in_limits``), tokens added by the
  success callback, in-flight released on either outcome.

Both proven against the real proxies (router conformance, run ``keys``).
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.litellm import _errors
from fakes.litellm._key_limits import KeyLimits
from fakes.profiles import KeyLimiter, LitellmKnobs

WINDOW = 60  # seconds, both forms
OUTPUT_FLOOR = 1024  # DEFAULT_MAX_TOKENS_ESTIMATE 4096 x NO_MAX_TOKENS_TPM_RESERVATION_FRACTION
OUTPUT_FRACTION = 0.25
CHARS_PER_TOKEN = 4
UNLIMITED = sys.maxsize  # how 1.74 prints a limit the key does not set


@dataclass
class Admission:
    """One admitted call: what it holds and what its answer's headers say of the key."""

    key: str
    limits: KeyLimits
    reserved: int = 0  # tokens reserved up front (sliding window)
    slot: bool = False  # holds an in-flight slot
    ratelimit: list[tuple[str, str]] = field(default_factory=list)  # x-ratelimit-* (1.110)
    settled: bool = False


@dataclass
class _Window:
    started: int
    requests: int = 0
    tokens: int = 0


@dataclass
class _Minute:
    requests: int = 0  # in flight
    tpm: int = 0
    rpm: int = 0


def _text_chars(messages: Any) -> int:
    """len(get_str_from_messages(messages)): string contents and text parts, joined."""
    total = 0
    for message in messages if isinstance(messages, list) else ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    total += len(part["text"])
    return total


def _explicit_cap(body: dict[str, Any]) -> int | None:
    caps = [
        v
        for v in (body.get("max_tokens"), body.get("max_completion_tokens"))
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0
    ]
    return max(caps) if caps else None


def _candidates(body: dict[str, Any]) -> int:
    count = 1
    for value in (body.get("n"), body.get("best_of")):
        try:
            count = max(count, int(value or 1))
        except (TypeError, ValueError, OverflowError):
            continue
    return count


def reservation(body: dict[str, Any], tpm_limit: int) -> int:
    """The tokens the sliding window reserves for a chat request (after its output cap)."""
    chars = _text_chars(body.get("messages"))
    prompt = max(1, chars // CHARS_PER_TOKEN) if chars > 0 else 0
    floor = min(OUTPUT_FLOOR, max(1, int(tpm_limit * OUTPUT_FRACTION)))
    explicit = _explicit_cap(body)
    if explicit is not None:
        output = explicit
    elif prompt == 0:
        output = 0
    else:
        output = max(prompt, floor)
    return max(prompt + output * _candidates(body), 1)


def cap_output(body: dict[str, Any], tpm_limit: int) -> None:
    """An uncapped request under a small tpm_limit gets max_tokens (sent upstream)."""
    floor = min(OUTPUT_FLOOR, max(1, int(tpm_limit * OUTPUT_FRACTION)))
    if floor < OUTPUT_FLOOR and _explicit_cap(body) is None:
        body["max_tokens"] = floor


def key_hash(key: str) -> str:
    """The key as LiteLLM stores it (hash_token: sha256 of a key starting with sk-)."""
    return hashlib.sha256(key.encode()).hexdigest() if key.startswith("sk-") else key


class KeyCounters:
    """Counters of every limited key, for one proxy (reset with it)."""

    def __init__(self, minute: Callable[[], str]) -> None:
        self.minute = minute  # the fleet's clock of UTC minutes (a run may pin it)
        self.windows: dict[str, _Window] = {}
        self.in_flight: dict[str, int] = {}
        self.minutes: dict[tuple[str, str], _Minute] = {}

    def admit(
        self, knobs: LitellmKnobs, key: str, limits: KeyLimits, body: dict[str, Any]
    ) -> Admission:
        """Admit a call or raise the key's 429; ``body`` may gain max_tokens (1.110)."""
        if knobs.key_limiter is KeyLimiter.PER_MINUTE:
            return self._admit_per_minute(key, limits)
        return self._admit_window(key, limits, body)

    def _window(self, key: str) -> _Window:
        now = int(time.time())
        window = self.windows.get(key)
        if window is None or now - window.started >= WINDOW:
            window = self.windows[key] = _Window(now)
        return window

    def _admit_window(self, key: str, limits: KeyLimits, body: dict[str, Any]) -> Admission:
        admission = Admission(key, limits)
        statuses: list[tuple[str, int, int]] = []  # (type, remaining, limit)
        if limits.rpm_limit is not None:
            window = self._window(key)
            window.requests += 1  # counted before the check: a refused request counts too
            remaining = limits.rpm_limit - window.requests
            if remaining < 0:
                raise _window_error(key, "requests", limits.rpm_limit, 0)
            statuses.append(("requests", remaining, limits.rpm_limit))
        if limits.max_parallel_requests is not None:
            running = self.in_flight.get(key, 0)
            if running + 1 > limits.max_parallel_requests:
                limit = limits.max_parallel_requests
                raise _window_error(key, "max_parallel_requests", limit, max(0, limit - running))
            self.in_flight[key] = running + 1
            admission.slot = True
            remaining = max(0, limits.max_parallel_requests - running - 1)
            statuses.append(("max_parallel_requests", remaining, limits.max_parallel_requests))
        if limits.tpm_limit is not None:
            cap_output(body, limits.tpm_limit)
            wanted = reservation(body, limits.tpm_limit)
            window = self._window(key)
            if window.tokens + wanted > limits.tpm_limit:
                self._release(admission)
                remaining = max(0, limits.tpm_limit - window.tokens)
                raise _window_error(key, "tokens", limits.tpm_limit, remaining)
            window.tokens += wanted
            admission.reserved = wanted
            statuses.append(("tokens", max(0, limits.tpm_limit - window.tokens), limits.tpm_limit))
        for kind, remaining, limit in statuses:
            admission.ratelimit += [
                (f"x-ratelimit-api_key-remaining-{kind}", str(remaining)),
                (f"x-ratelimit-api_key-limit-{kind}", str(limit)),
            ]
        return admission

    def _admit_per_minute(self, key: str, limits: KeyLimits) -> Admission:
        parallel = _or_unlimited(limits.max_parallel_requests)
        tpm, rpm = _or_unlimited(limits.tpm_limit), _or_unlimited(limits.rpm_limit)
        slot = (key, self.minute())
        current = self.minutes.get(slot)
        if current is None:
            if 0 in (parallel, tpm, rpm):
                raise _errors.ProxyError(
                    "Max parallel request limit reached Crossed TPM / RPM / Max Parallel "
                    "Request Limit. Hit limit for key. Current limits: max_parallel_requests: "
                    f"{parallel}, tpm_limit: {tpm}, rpm_limit: {rpm}",
                    429,
                    "None",
                    "None",
                    headers=[("retry-after", _to_next_minute())],
                )
            self.minutes[slot] = _Minute(requests=1, rpm=1)
        elif current.requests < parallel and current.tpm < tpm and current.rpm < rpm:
            current.requests += 1
            current.rpm += 1
        else:
            raise _errors.ProxyError(
                "LiteLLM Rate Limit Handler for rate limit type = key. Crossed TPM / RPM / Max "
                f"Parallel Request Limit. current rpm: {current.rpm}, rpm limit: {rpm}, current "
                f"tpm: {current.tpm}, tpm limit: {tpm}, current max_parallel_requests: "
                f"{current.requests}, max_parallel_requests: {parallel}",
                429,
                "None",
                "None",
                headers=[("retry-after", _to_next_minute())],
            )
        return Admission(key, limits, slot=True)

    def succeeded(self, knobs: LitellmKnobs, admission: Admission, tokens: int) -> None:
        """The call answered with ``tokens`` in all (the success callback)."""
        if admission.settled:
            return
        admission.settled = True
        if knobs.key_limiter is KeyLimiter.PER_MINUTE:
            current = self.minutes.setdefault((admission.key, self.minute()), _Minute(1))
            current.requests = max(current.requests - 1, 0)
            current.tpm += tokens
            return
        self._release(admission)
        if admission.limits.tpm_limit is not None:
            window = self._window(admission.key)
            window.tokens += tokens - admission.reserved

    def failed(self, knobs: LitellmKnobs, admission: Admission) -> None:
        """The call failed: its slot is released, its reservation refunded."""
        if admission.settled:
            return
        admission.settled = True
        if knobs.key_limiter is KeyLimiter.PER_MINUTE:
            current = self.minutes.get((admission.key, self.minute()))
            if current is not None:
                current.requests = max(current.requests - 1, 0)
            return
        self._release(admission)
        if admission.reserved:
            window = self._window(admission.key)
            window.tokens = max(0, window.tokens - admission.reserved)

    def _release(self, admission: Admission) -> None:
        if admission.slot:
            admission.slot = False
            self.in_flight[admission.key] = max(0, self.in_flight.get(admission.key, 0) - 1)

    def ratelimit_headers(self, knobs: LitellmKnobs, admission: Admission) -> list[tuple[str, str]]:
        """The answer's x-ratelimit-* of the key: 1.110's as admitted; 1.74's read after the
        call was counted (``async_post_call_success_hook``), only for rpm and tpm limits."""
        if knobs.key_limiter is KeyLimiter.SLIDING_WINDOW:
            return admission.ratelimit
        current = self.minutes.get((admission.key, self.minute()))
        limits = admission.limits
        out: list[tuple[str, str]] = []
        if current is None:
            return out
        if limits.rpm_limit is not None:
            out += [
                ("x-ratelimit-remaining-requests", str(limits.rpm_limit - current.rpm)),
                ("x-ratelimit-limit-requests", str(limits.rpm_limit)),
            ]
        if limits.tpm_limit is not None:
            out += [
                ("x-ratelimit-remaining-tokens", str(limits.tpm_limit - current.tpm)),
                ("x-ratelimit-limit-tokens", str(limits.tpm_limit)),
            ]
        return out


def _or_unlimited(value: int | None) -> int:
    return UNLIMITED if value is None else value


def _to_next_minute() -> str:
    """1.74's retry-after: seconds to the next minute of the clock (time_to_next_minute)."""
    now = datetime.now()
    following = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return str((following - now).total_seconds())


def _window_error(key: str, kind: str, limit: int, remaining: int) -> _errors.ProxyError:
    """1.110's 429 (``_handle_rate_limit_error``, :3282-3332)."""
    resets = (datetime.now(UTC) + timedelta(seconds=WINDOW)).strftime("%Y-%m-%d %H:%M:%S UTC")
    return _errors.ProxyError(
        f"Rate limit exceeded for api_key: {key_hash(key)}. Limit type: {kind}. "
        f"Current limit: {limit}, Remaining: {remaining}. Limit resets at: {resets}",
        429,
        "throttling_error",
        headers=[("retry-after", str(WINDOW)), ("rate_limit_type", kind), ("reset_at", resets)],
    )

"""The router's run-time state: failures per deployment, in-flight counts, latencies, the
per-minute request and token counters, and the seeded random draw behind weighted picks,
backoff jitter and /health prompts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from fakes.litellm._config import Deployment


def utc_minute() -> str:
    return datetime.now(UTC).strftime("%H-%M")


FAIL_WINDOW = 60.0  # failures are counted per minute (litellm's cooldown cache)
LATENCY_SAMPLES = 10  # lowest_latency.py RoutingArgs.max_latency_list_size
TIMEOUT_LATENCY = 1000.0  # seconds a timed-out call counts as (lowest_latency.py)


class Fleet:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.fails: dict[str, list[float]] = {}
        self.in_flight: dict[str, int] = {}
        # latency-based-routing's samples per deployment, the newest last
        self.latency: dict[str, list[float]] = {}
        # usage-based-routing-v2's counters, per deployment and UTC minute (HH-MM), as LiteLLM
        # keys them: requests counted when picked, tokens when answered
        self.rpm: dict[tuple[str, str], int] = {}
        self.tpm: dict[tuple[str, str], int] = {}
        # tokens only the group's x-ratelimit-* headers see (1.110's streams)
        self.header_tpm: dict[tuple[str, str], int] = {}
        self.minute: Callable[[], str] = utc_minute  # a test may pin it

    def requests_now(self, deployment: Deployment) -> int | None:
        return self.rpm.get((deployment.model_id, self.minute()))

    def tokens_now(self, deployment: Deployment) -> int | None:
        return self.tpm.get((deployment.model_id, self.minute()))

    def count_request(self, deployment: Deployment) -> None:
        key = (deployment.model_id, self.minute())
        self.rpm[key] = self.rpm.get(key, 0) + 1

    def count_tokens(self, deployment: Deployment, tokens: int, limit: bool = True) -> None:
        key = (deployment.model_id, self.minute())
        counters = self.tpm if limit else self.header_tpm
        counters[key] = counters.get(key, 0) + tokens

    def header_tokens_now(self, deployment: Deployment) -> int | None:
        """This minute's tokens as the group's headers count them."""
        key = (deployment.model_id, self.minute())
        counted = [c.get(key) for c in (self.tpm, self.header_tpm)]
        return None if counted == [None, None] else sum(c or 0 for c in counted)

    def record_latency(self, deployment: Deployment, seconds: float) -> None:
        """One call's latency; the last LATENCY_SAMPLES are kept (max_latency_list_size)."""
        samples = self.latency.setdefault(deployment.model_id, [])
        samples.append(seconds)
        del samples[:-LATENCY_SAMPLES]

    def average_latency(self, deployment: Deployment) -> float:
        """What latency-based-routing compares: the samples' mean, 0 for an unused one."""
        samples = self.latency.get(deployment.model_id)
        return sum(samples) / len(samples) if samples else 0.0

    def failed(self, deployment: Deployment) -> int:
        """Count a failure; how many in the last minute."""
        now = time.monotonic()
        seen = [t for t in self.fails.get(deployment.model_id, []) if now - t < FAIL_WINDOW]
        seen.append(now)
        self.fails[deployment.model_id] = seen
        return len(seen)

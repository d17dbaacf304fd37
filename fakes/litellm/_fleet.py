"""The router's run-time state: failures per deployment, in-flight counts, latencies, token
use, and the seeded random draw behind weighted picks and backoff jitter."""

from __future__ import annotations

import random
import time

from fakes.litellm._config import Deployment

FAIL_WINDOW = 60.0  # failures are counted per minute (litellm's cooldown cache)


class Fleet:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.fails: dict[str, list[float]] = {}
        self.in_flight: dict[str, int] = {}
        self.latency: dict[str, float] = {}
        self.tokens: dict[str, int] = {}

    def failed(self, deployment: Deployment) -> int:
        """Count a failure; how many in the last minute."""
        now = time.monotonic()
        seen = [t for t in self.fails.get(deployment.model_id, []) if now - t < FAIL_WINDOW]
        seen.append(now)
        self.fails[deployment.model_id] = seen
        return len(seen)

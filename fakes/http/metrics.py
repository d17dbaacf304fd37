"""vLLM's Prometheus metrics, fed by the fake's own traffic (one registry per fake)."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, NamedTuple

from fakes.model.timing import Scheduler

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

# Bucket boundaries copied from vllm/engine/metrics.py (0.4.3 to 0.9.x; v1 keeps them).
TTFT_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
TPOT_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
E2E_BUCKETS = (1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Buckets:
    """A histogram's counts as plain numbers: per bucket (not cumulative) and the sum."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.bounds = (*buckets, math.inf)
        self.counts = [0] * len(self.bounds)
        self.total = 0.0

    def add(self, value: float) -> None:
        # the first bound >= value, as Histogram.observe picks it
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def fold_into(self, histogram: Histogram) -> None:
        """Add the counts to a histogram child, then start again from zero. prometheus_client
        has no public call that adds n observations at once; a child keeps its per-bucket
        counts in ``_buckets`` and the sum in ``_sum`` (0.x to 0.23), which observe() itself
        adds to."""
        if not any(self.counts):
            return
        histogram._sum.inc(self.total)
        for position, count in enumerate(self.counts):
            if count:
                histogram._buckets[position].inc(count)
        self.counts = [0] * len(self.bounds)
        self.total = 0.0


class _Plain:
    """One model's counts since the last scrape."""

    __slots__ = ("e2e", "generated", "prompt", "tpot", "ttft")

    def __init__(self) -> None:
        self.prompt = 0
        self.generated = 0
        self.ttft = _Buckets(TTFT_BUCKETS)
        self.tpot = _Buckets(TPOT_BUCKETS)
        self.e2e = _Buckets(E2E_BUCKETS)


class _Series(NamedTuple):
    prompt_tokens: Counter
    generation_tokens: Counter
    ttft: Histogram
    tpot: Histogram
    e2e: Histogram


class _Families:
    """The prometheus registry and vLLM's metric families, in vLLM's order."""

    def __init__(self, replica: str | None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        if replica:  # ours, not vLLM's: only when asked, so the default scrape stays vLLM's
            Gauge(
                "llm_fakes_replica_info",
                "The replica that serves these metrics (llm-fakes --replica-name)",
                ["replica"],
                registry=self.registry,
            ).labels(replica).set(1)
        labels = ["model_name"]
        self.running: Gauge = Gauge(
            "vllm:num_requests_running",
            "Number of requests currently running",
            labels,
            registry=self.registry,
        )
        self.waiting: Gauge = Gauge(
            "vllm:num_requests_waiting",
            "Number of requests waiting",
            labels,
            registry=self.registry,
        )
        self.prompt_tokens: Counter = Counter(
            "vllm:prompt_tokens",
            "Number of prefill tokens processed",
            labels,
            registry=self.registry,
        )
        self.generation_tokens: Counter = Counter(
            "vllm:generation_tokens",
            "Number of generation tokens processed",
            labels,
            registry=self.registry,
        )
        self.request_success: Counter = Counter(
            "vllm:request_success",
            "Count of successful requests",
            [*labels, "finished_reason"],
            registry=self.registry,
        )
        self.ttft: Histogram = Histogram(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds",
            labels,
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        )
        self.tpot: Histogram = Histogram(
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds",
            labels,
            buckets=TPOT_BUCKETS,
            registry=self.registry,
        )
        self.e2e: Histogram = Histogram(
            "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds",
            labels,
            buckets=E2E_BUCKETS,
            registry=self.registry,
        )


class VllmMetrics:
    """Plain counts per request; the prometheus families (prometheus_client, a ~60 ms import)
    are built on the first scrape, which folds the counts into them."""

    def __init__(self, scheduler: Scheduler, replica: str | None = None) -> None:
        self._replica = replica
        self._families: _Families | None = None
        self._scheduler = scheduler
        self._models: set[str] = set()
        self._series: dict[str, _Series] = {}
        self._success: dict[tuple[str, str], Counter] = {}
        self._plain: dict[str, _Plain] = {}
        self._success_counts: dict[tuple[str, str], int] = {}

    @property
    def families(self) -> _Families:
        if self._families is None:
            self._families = _Families(self._replica)
        return self._families

    def observe_model(self, model: str) -> None:
        self._models.add(model)

    def finished(
        self,
        model: str,
        *,
        prompt: int,
        generated: int,
        reason: str,
        ttft: float | None,
        e2e: float,
    ) -> None:
        # plain counters per request; the locked prometheus values are set at scrape time
        plain = self._plain.get(model)
        if plain is None:
            plain = self._plain[model] = _Plain()
        plain.prompt += prompt
        plain.generated += generated
        self._success_counts[model, reason] = self._success_counts.get((model, reason), 0) + 1
        if ttft is not None:
            plain.ttft.add(ttft)
            if generated > 1:
                plain.tpot.add(max(e2e - ttft, 0.0) / (generated - 1))
        plain.e2e.add(e2e)

    def finished_at_once(
        self, model: str, prompt: int, generated: int, reason: str, elapsed: float
    ) -> None:
        """finished() for an answer sent in one piece: its first token came at its end
        (ttft = e2e = elapsed), so the time per output token is 0."""
        plain = self._plain.get(model)
        if plain is None:
            plain = self._plain[model] = _Plain()
        plain.prompt += prompt
        plain.generated += generated
        key = (model, reason)
        self._success_counts[key] = self._success_counts.get(key, 0) + 1
        plain.ttft.add(elapsed)
        if generated > 1:
            plain.tpot.add(0.0)
        plain.e2e.add(elapsed)

    def _fold(self) -> None:
        """Move the plain counts into the prometheus series, creating each series in the
        order its model (or model and reason) first finished, as observing one by one did."""
        families = self.families
        for model, plain in self._plain.items():
            series = self._series.get(model)
            if series is None:
                self._models.add(model)
                series = self._series[model] = _Series(
                    families.prompt_tokens.labels(model),
                    families.generation_tokens.labels(model),
                    families.ttft.labels(model),
                    families.tpot.labels(model),
                    families.e2e.labels(model),
                )
            series.prompt_tokens.inc(plain.prompt)
            series.generation_tokens.inc(plain.generated)
            plain.ttft.fold_into(series.ttft)
            plain.tpot.fold_into(series.tpot)
            plain.e2e.fold_into(series.e2e)
            plain.prompt = plain.generated = 0
        for key, count in self._success_counts.items():
            success = self._success.get(key)
            if success is None:
                success = self._success[key] = families.request_success.labels(*key)
            success.inc(count)
        self._success_counts.clear()

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        self._fold()
        families = self.families
        # Gauges are read from the scheduler at scrape time, so they can never drift.
        for model in self._models:
            families.running.labels(model).set(self._scheduler.running)
            families.waiting.labels(model).set(self._scheduler.waiting)
        return generate_latest(families.registry)

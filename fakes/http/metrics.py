"""vLLM's Prometheus metrics, fed by the fake's own traffic (one registry per fake)."""

from __future__ import annotations

from typing import NamedTuple

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from fakes.model.timing import Scheduler

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
FOLD_EVERY = 1024  # finished requests kept before they are folded in without a scrape

# model, prompt tokens, generated tokens, finish reason, time to first token, end to end
_Finished = tuple[str, int, int, str, float | None, float]


class _Series(NamedTuple):
    prompt_tokens: Counter
    generation_tokens: Counter
    ttft: Histogram
    tpot: Histogram
    e2e: Histogram


class VllmMetrics:
    def __init__(self, scheduler: Scheduler, replica: str | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if replica:  # ours, not vLLM's: only when asked, so the default scrape stays vLLM's
            Gauge(
                "llm_fakes_replica_info",
                "The replica that serves these metrics (llm-fakes --replica-name)",
                ["replica"],
                registry=self.registry,
            ).labels(replica).set(1)
        labels = ["model_name"]
        self._running = Gauge(
            "vllm:num_requests_running",
            "Number of requests currently running",
            labels,
            registry=self.registry,
        )
        self._waiting = Gauge(
            "vllm:num_requests_waiting",
            "Number of requests waiting",
            labels,
            registry=self.registry,
        )
        self.prompt_tokens = Counter(
            "vllm:prompt_tokens",
            "Number of prefill tokens processed",
            labels,
            registry=self.registry,
        )
        self.generation_tokens = Counter(
            "vllm:generation_tokens",
            "Number of generation tokens processed",
            labels,
            registry=self.registry,
        )
        self.request_success = Counter(
            "vllm:request_success",
            "Count of successful requests",
            [*labels, "finished_reason"],
            registry=self.registry,
        )
        self.ttft = Histogram(
            "vllm:time_to_first_token_seconds",
            "Histogram of time to first token in seconds",
            labels,
            buckets=TTFT_BUCKETS,
            registry=self.registry,
        )
        self.tpot = Histogram(
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds",
            labels,
            buckets=TPOT_BUCKETS,
            registry=self.registry,
        )
        self.e2e = Histogram(
            "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds",
            labels,
            buckets=E2E_BUCKETS,
            registry=self.registry,
        )
        self._scheduler = scheduler
        self._models: set[str] = set()
        self._series: dict[str, _Series] = {}
        self._success: dict[tuple[str, str], Counter] = {}
        self._pending: list[_Finished] = []

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
        # a plain append per request; the locked prometheus updates happen when folded
        self._pending.append((model, prompt, generated, reason, ttft, e2e))
        if len(self._pending) >= FOLD_EVERY:
            self._fold()

    def _fold(self) -> None:
        """Apply the requests finished since the last fold, in their order (same output)."""
        pending, self._pending = self._pending, []
        for model, prompt, generated, reason, ttft, e2e in pending:
            self._apply(model, prompt, generated, reason, ttft, e2e)

    def _apply(
        self,
        model: str,
        prompt: int,
        generated: int,
        reason: str,
        ttft: float | None,
        e2e: float,
    ) -> None:
        # labels() takes a lock and builds a key: once per model, not once per request
        series = self._series.get(model)
        if series is None:
            self._models.add(model)
            series = self._series[model] = _Series(
                self.prompt_tokens.labels(model),
                self.generation_tokens.labels(model),
                self.ttft.labels(model),
                self.tpot.labels(model),
                self.e2e.labels(model),
            )
        series.prompt_tokens.inc(prompt)
        series.generation_tokens.inc(generated)
        success = self._success.get((model, reason))
        if success is None:
            success = self._success[model, reason] = self.request_success.labels(model, reason)
        success.inc()
        if ttft is not None:
            series.ttft.observe(ttft)
            if generated > 1:
                series.tpot.observe(max(e2e - ttft, 0.0) / (generated - 1))
        series.e2e.observe(e2e)

    def render(self) -> bytes:
        self._fold()
        # Gauges are read from the scheduler at scrape time, so they can never drift.
        for model in self._models:
            self._running.labels(model).set(self._scheduler.running)
            self._waiting.labels(model).set(self._scheduler.waiting)
        return generate_latest(self.registry)

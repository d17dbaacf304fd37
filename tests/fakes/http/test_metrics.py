"""The metrics keep plain counts per request and fold them into the prometheus series at
scrape time: the scrape text is what observing each request one by one gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.http.metrics import VllmMetrics
from fakes.model.timing import Scheduler

# multiples of 1/1024: their sums are exact in any order, so the _sum lines compare exactly;
# a time per output token divides by generated - 1, so that is a power of two (or no division)
_seconds = st.integers(min_value=0, max_value=80 * 1024).map(lambda n: n / 1024)
_finished = st.tuples(
    st.sampled_from(["a", "b"]),
    st.integers(0, 50),
    st.sampled_from([0, 1, 2, 3, 5, 9]),
    st.sampled_from(["stop", "length"]),
    st.one_of(st.none(), _seconds),
    _seconds,
)


def _observe_one_by_one(metrics: VllmMetrics, item: tuple) -> None:  # type: ignore[type-arg]
    """What each request did to the prometheus series before the plain counts."""
    model, prompt, generated, reason, ttft, e2e = item
    metrics.observe_model(model)
    # a model's five series appear together, on its first finished request
    prompts, generations, ttfts, tpots, e2es = (
        family.labels(model)
        for family in (
            metrics.families.prompt_tokens,
            metrics.families.generation_tokens,
            metrics.families.ttft,
            metrics.families.tpot,
            metrics.families.e2e,
        )
    )
    prompts.inc(prompt)
    generations.inc(generated)
    metrics.families.request_success.labels(model, reason).inc()
    if ttft is not None:
        ttfts.observe(ttft)
        if generated > 1:
            tpots.observe(max(e2e - ttft, 0.0) / (generated - 1))
    e2es.observe(e2e)


def _text(metrics: VllmMetrics) -> list[str]:
    lines = metrics.render().decode().splitlines()
    return [line for line in lines if "_created{" not in line]  # creation times differ


@settings(max_examples=150, deadline=None)
@given(st.lists(_finished, max_size=30), st.integers(0, 30))
def test_a_scrape_reads_what_observing_one_by_one_gives(
    items: list[tuple],
    scrape_at: int,  # type: ignore[type-arg]
) -> None:
    folded, observed = VllmMetrics(Scheduler(4)), VllmMetrics(Scheduler(4))
    for position, item in enumerate(items):
        if position == scrape_at:  # a scrape in the middle folds what came before
            assert _text(folded) == _text(observed)
        model, prompt, generated, reason, ttft, e2e = item
        folded.observe_model(model)
        folded.finished(
            model, prompt=prompt, generated=generated, reason=reason, ttft=ttft, e2e=e2e
        )
        _observe_one_by_one(observed, item)
    assert _text(folded) == _text(observed)
    assert _text(folded) == _text(observed)  # a second scrape adds nothing


@settings(max_examples=100, deadline=None)
@given(st.lists(_finished, max_size=30))
def test_an_answer_sent_at_once_counts_as_finished_with_ttft_equal_to_e2e(
    items: list[tuple],  # type: ignore[type-arg]
) -> None:
    """finished_at_once (the fast path's plain answers) is finished() with ttft = e2e."""
    at_once, finished = VllmMetrics(Scheduler(4)), VllmMetrics(Scheduler(4))
    for model, prompt, generated, reason, _, elapsed in items:
        at_once.finished_at_once(model, prompt, generated, reason, elapsed)
        finished.finished(
            model, prompt=prompt, generated=generated, reason=reason, ttft=elapsed, e2e=elapsed
        )
    assert _text(at_once) == _text(finished)
    if any(generated > 1 for _, _, generated, *_ in items):  # a time per output token of 0
        assert any(
            line.startswith('vllm:time_per_output_token_seconds_bucket{le="0.01"')
            and not line.endswith(" 0.0")
            for line in _text(at_once)
        )

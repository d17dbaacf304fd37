"""The fast path against real vLLM releases' own answers: every recorded exchange is replayed
as an HTTP client sends it (with content-length), and each one the fast path answers itself
(plain chat, completions and /v1/responses requests) must be the release's answer, byte for
byte after the cassette replay's normalization. What it hands on is the reference path's,
held to the same cassettes by test_vllm_cassettes.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fakes.profiles import ResponsesRoute, resolve_vllm_profile
from fakes.record import load
from fakes.vllm.fast import FastPathMiddleware
from reference.vllm_harness._setup import fake_app
from reference.vllm_harness._setups_file import read_setups
from reference.vllm_harness.figures import replay

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"
CASSETTES = sorted(RECORDINGS.glob("vllm-*.jsonl"))
PATHS = ("/v1/chat/completions", "/v1/completions", "/v1/responses")


def _fast_layer(app: Any) -> FastPathMiddleware:
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, FastPathMiddleware):
        layer = layer.app
    return layer


# differences named in test_vllm_cassettes.py's KNOWN that lie on the fast path too
PENDING: dict[str, str] = {}


def _cases() -> list[Any]:
    return [
        pytest.param(
            cassette,
            id=cassette.stem,
            marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=PENDING[stem])]
            if (stem := cassette.stem) in PENDING
            else [],
        )
        for cassette in CASSETTES
    ]


@pytest.mark.parametrize("cassette", _cases())
def test_what_the_fast_path_answers_is_what_the_release_answered(cassette: Path) -> None:
    release, groups = read_setups(cassette)
    items = load(cassette).interactions
    answered = {path: 0 for path in PATHS}
    differing: list[str] = []
    start = 0
    for setup, count in groups:
        app = fake_app(release, setup)
        fast = _fast_layer(app)
        for item in items[start : start + count]:
            before = fast.answered
            lines = replay(app, setup, item, sized=True)
            if fast.answered > before:
                answered[item.path] += 1
                differing += [f"{setup.name} {item.path} {line}" for line in lines]
        start += count
    assert not differing, "\n".join(differing)
    assert answered["/v1/chat/completions"], answered  # every release has plain chat probes
    knobs = resolve_vllm_profile(release, None)[0].knobs
    with_responses = knobs.responses is not ResponsesRoute.ABSENT
    assert bool(answered["/v1/responses"]) == with_responses, answered

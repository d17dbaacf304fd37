"""With the state's own id source, the fast path draws a plain answer's hex ids in one go (a
/v1/responses body takes three: its id and two item ids), where the reference path draws them
one by one. Seeded alike before each side's request, the id generator must give both paths
the same bytes: the other differential tests swap in a counting source and never reach the
draw in one go."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from fakes.profiles import Profile, ResponsesRoute
from fakes.vllm import _state
from tests._asgi_messages import Wire
from tests.fakes.vllm.test_fast_path import (
    CHAT,
    COMPLETIONS,
    PROFILE_LIST,
    RESPONSES,
    SCRIPTS,
    _app,
    _apps,
    _as_completion,
    _as_responses,
    _body,
    _exchange,
    _fast_middleware,
    _headers,
    _left_behind,
    _responses_body,
)


@pytest.fixture(autouse=True)
def _fresh_generator() -> Iterator[None]:
    """The tests seed the module's id generator; afterwards it is seeded from the OS again."""
    yield
    _state._ids.seed()


def _own_source(*apps: Starlette) -> None:
    for app in apps:
        app.state.fake.hex_source = _state._random_hex


def _seeded_both(
    fast: Starlette,
    reference: Starlette,
    body: bytes,
    headers: dict[str, str],
    path: str,
    seed: int,
) -> tuple[Wire, Wire, bool]:
    """Both answers, each drawn from the generator seeded with ``seed``, and whether the fast
    path answered; what the request leaves behind must match too."""

    async def run() -> tuple[Wire, Wire, bool]:
        before = _fast_middleware(fast).answered if fast.middleware_stack else 0
        _state._ids.seed(seed)
        got = await _exchange(fast, path, body, headers)
        taken = _fast_middleware(fast).answered > before
        _state._ids.seed(seed)
        return got, await _exchange(reference, path, body, headers), taken

    got, expected, taken = asyncio.run(run())
    assert _left_behind(fast) == _left_behind(reference)
    return got, expected, taken


def _serves(profile: Profile, path: str) -> bool:
    return path != RESPONSES or profile.knobs.responses is not ResponsesRoute.ABSENT


_PLAIN = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
_AS = {CHAT: lambda body: body, COMPLETIONS: _as_completion, RESPONSES: _as_responses}


_SERVED = [
    pytest.param(profile, path, id=f"{profile.name}-{path}")
    for profile in PROFILE_LIST
    for path in (CHAT, COMPLETIONS, RESPONSES)
    if _serves(profile, path)
]


@pytest.mark.parametrize(("profile", "path"), _SERVED)
def test_the_own_id_source_gives_both_paths_the_same_ids(profile: Profile, path: str) -> None:
    fast, reference = _app(profile, fast=True), _app(profile, fast=False)
    _own_source(fast, reference)
    for stream in (False, True):
        raw = orjson.dumps(_AS[path]({**_PLAIN, "stream": stream}))
        for headers in ({}, {"x-request-id": "given"}):
            got, expected, answered = _seeded_both(fast, reference, raw, headers, path, 7)
            assert got == expected, (stream, headers)
            assert answered or stream  # a plain body: the fast path's own draw
            # the ids come from the seeded generator, but for an id the header gives
            # (responses items are drawn all the same)
            drawn = path == RESPONSES or not (headers and profile.knobs.request_id_header)
            if answered and drawn:
                again, _, _ = _seeded_both(fast, reference, raw, headers, path, 8)
                assert again != got


_requests = st.one_of(
    st.tuples(st.just(CHAT), _body),
    st.tuples(st.just(COMPLETIONS), _body.map(_as_completion)),
    st.tuples(st.just(RESPONSES), _responses_body),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PROFILE_LIST),
    st.sampled_from(sorted(SCRIPTS)),
    _requests,
    _headers,
    st.integers(min_value=0, max_value=2**32),
)
def test_generated_bodies_get_the_same_ids_from_the_own_source(
    profile: Profile,
    script: str,
    request: tuple[str, dict[str, Any]],
    headers: dict[str, str],
    seed: int,
) -> None:
    path, body = request
    fast, reference = _apps(profile, script)
    _own_source(fast, reference)
    got, expected, _ = _seeded_both(fast, reference, orjson.dumps(body), headers, path, seed)
    assert got == expected

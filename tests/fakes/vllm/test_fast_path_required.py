"""tool_choice "required" on both paths: the fast path hands it on (it takes no tools), and
what the reference path answers is the same bytes, on every vLLM profile, plain and
streamed, with and without stream usage (knobs required_finish_tool_calls,
required_stream_finish_tool_calls, required_stream, empty_finish_chunk,
named_tool_choice_parsed)."""

from __future__ import annotations

import orjson
import pytest

from fakes.profiles import Profile
from tests.fakes.vllm.test_fast_path import PROFILE_LIST, _app, _both
from tests.fakes.vllm.test_required_tool_choice import CALL, REQUIRED

BODIES = [
    REQUIRED,
    {**REQUIRED, "stream": True},
    {**REQUIRED, "stream": True, "stream_options": {"include_usage": True}},
]


@pytest.mark.parametrize("profile", PROFILE_LIST, ids=lambda p: p.name)
def test_required_gets_the_same_bytes_on_both_paths(profile: Profile) -> None:
    flags = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes", "script": CALL}
    if "auto" not in profile.knobs.tool_choice_strings:
        flags = {"script": CALL}  # no tool-parser flags before 0.6
    fast, reference = _app(profile, fast=True, **flags), _app(profile, fast=False, **flags)
    for body in BODIES:
        got, expected, answered = _both(fast, reference, orjson.dumps(body), {})
        assert not answered  # tools: the reference path's
        assert got == expected, (profile.name, body)

"""The README's own-driver example, run as a user would: its file, the suite, --driver."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).parents[2] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("# test_my_driver.py: a user's driver")
    return text[start : text.index("```", start)]


def test_the_readme_driver_runs_against_the_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_my_driver=_example())
    result = pytester.runpytest_subprocess(
        "--driver",
        "test_my_driver:MyDriver",
        "--llm-backend",
        "vllm-0.9",
        "-k",
        "plain_completion or stream_usage or tool_call_stream",
        "-p",
        "no:cacheprovider",
    )
    # it answers plain and streamed text with usage; it ignores tool calls, so that one fails
    result.assert_outcomes(passed=2, failed=1, skipped=1)  # stream_usage_absent: "wire" only
    result.stdout.fnmatch_lines(["*test_contract?tool_call_stream?*"])

"""The contract suite as a driver author meets it: two lines in a test file, options on the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SUITE = "from contracts.suite import test_contract\n"


@pytest.fixture(autouse=True)
def _quiet_asyncio_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_the_default_driver_passes_a_filtered_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=SUITE)
    result = pytester.runpytest_subprocess(
        "--llm-backend", "vllm-0.9", "-k", "plain_completion or stream_usage"
    )
    result.assert_outcomes(passed=2, skipped=1)  # stream_usage_absent runs on "wire" only
    result.stdout.no_fnmatch_line("*unused*")


def test_a_failing_driver_shows_the_golden_diff(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=SUITE)
    result = pytester.runpytest_subprocess(
        "--driver", "naive-chat", "--llm-backend", "vllm-0.9", "-k", "stream_usage and not absent"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "driver naive-chat differs from the golden of stream_usage (- golden, + driver):",
            "--- golden contracts/golden/stream_usage.yaml (what a correct driver reports)",
            "+++ driver naive-chat (what it reported)",
            "*crash: 'KeyError: ''usage'''*",
        ]
    )


def test_an_unfiltered_failure_labels_both_sides(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=SUITE)
    result = pytester.runpytest_subprocess("--driver", "naive-chat", "-k", "stream_usage_absent")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "--- golden contracts/golden/stream_usage_absent.yaml*",
            "+++ driver naive-chat (what it reported)",
        ]
    )


def test_a_user_driver_by_import_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        my_driver="from contracts.drivers._http import OpenAICompatibleDriver as factory\n",
        test_mine=SUITE,
    )
    result = pytester.runpytest_subprocess(
        "--driver",
        "my_driver:factory",
        "--llm-backend",
        "wire",
        "-k",
        "sse_crlf",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)


def test_the_pytest_script_finds_a_driver_beside_the_tests(pytester: pytest.Pytester) -> None:
    # the `pytest` script, unlike `python -m pytest`, leaves the current directory off sys.path
    pytester.makepyfile(
        test_my_driver="from contracts.drivers._http import OpenAICompatibleDriver as MyDriver\n"
        + SUITE
    )
    script = Path(sys.executable).parent / "pytest"
    result = pytester.run(
        script,
        "test_my_driver.py",
        "--driver",
        "test_my_driver:MyDriver",
        "--llm-backend",
        "wire",
        "-k",
        "sse_crlf",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1)


def test_unknown_driver_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=SUITE)
    result = pytester.runpytest_subprocess("--driver", "nope", "-k", "plain_completion")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown driver 'nope'; known: openai-compatible*"])


def test_unknown_backend_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine=SUITE)
    result = pytester.runpytest_subprocess("--llm-backend", "vllm-9.9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no backend matches vllm-9.9; known: vllm-0.4*"])

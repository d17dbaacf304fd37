"""The quirk catalogue and ``profiles --explain``: generated from the profiles' own sources,
so the committed page cannot drift from them; and which knobs no test names yet."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from fakes.cli import main
from fakes.profiles._explain import BACKENDS, catalogue, checkout_tests, knobs_of, naming_tests

PAGE = Path(__file__).resolve().parents[3] / "docs" / "quirks.md"

# Knobs that no test names yet: each is pinned only through whole bodies (goldens, wire bytes,
# recorded cassettes), not by a test that says which knob it checks. The list may only shrink:
# a new knob needs a test that names it, and a knob that gains one must leave the list.
UNNAMED: dict[str, frozenset[str]] = {
    "vllm": frozenset(),
    "litellm": frozenset(),
    "llamacpp": frozenset(),
}


def test_the_committed_catalogue_is_the_generated_one() -> None:
    assert PAGE.read_text(encoding="utf-8") == catalogue(), (
        "docs/quirks.md is stale: llm-fakes profiles --catalogue > docs/quirks.md"
    )


def test_explain_shows_values_sources_and_tests() -> None:
    result = CliRunner().invoke(
        main, ["profiles", "--explain", "stream_usage"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    assert "docs/quirks.md#vllm-stream_usage" in result.output
    row = next(line for line in result.output.splitlines() if "vllm-0.4 " in line)
    assert '"always_in_finish_chunk"' in row
    assert "0.4.3 serving_chat.py:325-340" in row
    assert "tests/fakes/profiles/test_explain.py::test_explain_shows_values_sources_and_tests" in (
        result.output
    )


def test_explain_an_unknown_knob_is_one_line() -> None:
    result = CliRunner().invoke(main, ["profiles", "--explain", "no_such_knob"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown knob 'no_such_knob'; known: ")


def test_every_knob_is_named_by_a_test() -> None:
    tests = checkout_tests()
    assert tests is not None
    this_file = Path(__file__).resolve().relative_to(tests.parent).as_posix()

    def named(knob: str) -> bool:  # by another file: this one lists them all
        return any(not where.startswith(this_file) for where in naming_tests(knob, tests))

    for backend in BACKENDS:
        unnamed = {knob for knob in knobs_of(backend) if not named(knob)}
        assert unnamed <= UNNAMED[backend], f"{backend} knobs no test names: {unnamed}"
        named_now = UNNAMED[backend] - unnamed
        assert not named_now, f"named by a test now, take them off UNNAMED: {named_now}"

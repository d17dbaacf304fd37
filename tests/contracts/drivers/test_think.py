from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contracts._collect import Collector
from contracts.drivers._think import ThinkSplitter


def _split(text: str, cuts: list[int]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    collector = Collector()
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        for event in splitter.feed(text[start:cut]):
            collector.add(event)
        start = cut
    for event in splitter.flush():
        collector.add(event)
    result = collector.result()
    return result.reasoning, result.text


@given(st.lists(st.integers(min_value=0, max_value=40), max_size=10))
def test_think_tags_split_anywhere(cuts: list[int]) -> None:
    text = "<think>Paris is easy.</think>It is sunny."
    assert _split(text, cuts) == ("Paris is easy.", "It is sunny.")


def test_text_that_does_not_start_with_think_is_left_alone() -> None:
    assert _split("Use <think> tags like this.", [3, 9]) == ("", "Use <think> tags like this.")


def test_an_unclosed_think_is_reasoning() -> None:
    assert _split("<think>still thinking", [10]) == ("still thinking", "")


def test_a_lone_angle_bracket_is_text() -> None:
    assert _split("<", []) == ("", "<")

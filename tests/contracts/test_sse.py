from __future__ import annotations

from collections.abc import AsyncIterator

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts._sse import SseEvent, SseParser, sse_events

STREAM = (
    "retry: 3000\r\n\r\n"
    ": keep-alive\n\n"
    'id: 7\nevent: delta\ndata: {"a":\n'
    "data: 1}\n\n"
    "data:no-space\r\r"
    "data: caf\u00e9 \u2615\n\n"
    "data: [DONE]\n\n"
)
EXPECTED = [
    SseEvent('{"a":\n1}', "delta", "7"),
    SseEvent("no-space", "message", "7"),
    SseEvent("caf\u00e9 \u2615", "message", "7"),
    SseEvent("[DONE]", "message", "7"),
]


def test_parses_every_framing_detail() -> None:
    assert SseParser().feed(STREAM) == EXPECTED


def test_an_event_without_its_blank_line_is_not_dispatched() -> None:
    parser = SseParser()
    assert parser.feed("data: half") == []
    assert parser.feed("\n") == []
    assert parser.feed("\n") == [SseEvent("half")]


async def _pieces(data: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for cut in sorted(set(cuts)):
        yield data[start:cut]
        start = cut
    yield data[start:]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM.encode())), max_size=12))
async def test_any_chunking_of_the_bytes_gives_the_same_events(cuts: list[int]) -> None:
    # chunk boundaries may split a CRLF pair or a multi-byte character
    events = [event async for event in sse_events(_pieces(STREAM.encode(), cuts))]
    assert events == EXPECTED

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakes.http.requestlog import Chunks, RequestLog, pack_headers, redact_header


def test_rendered_chunks_read_as_the_bytes_they_stand_for() -> None:
    rendered: list[int] = []

    def render(number: int) -> bytes:
        rendered.append(number)
        return b"event %d" % number

    chunks = Chunks([(0.0, b"head")])
    chunks.rendered_by(render)
    chunks.append_rendered(0.5, 0)
    chunks.append_rendered(0.75, 1)
    chunks.append((1.0, b"data: [DONE]\n\n"))
    assert rendered == []  # kept as numbers until read
    expected = [(0.0, b"head"), (0.5, b"event 0"), (0.75, b"event 1"), (1.0, b"data: [DONE]\n\n")]
    assert list(chunks) == expected and chunks == expected
    assert chunks[2] == (0.75, b"event 1") and len(chunks) == 4
    assert b"".join(data for _, data in chunks) == b"headevent 0event 1data: [DONE]\n\n"


def test_a_rendered_chunk_needs_its_renderer_first() -> None:
    chunks = Chunks()
    with pytest.raises(ValueError, match="rendered_by"):
        chunks.append_rendered(0.0, 0)
    assert not chunks


@pytest.mark.parametrize("rendered_first", [False, True])
def test_one_chunk_reads_alike_and_a_second_keeps_the_order(rendered_first: bool) -> None:
    chunks = Chunks()
    chunks.rendered_by(lambda values: b"".join(values))
    if rendered_first:  # a plain answer logged as the values that fill its template
        chunks.append_rendered(0.0, (b"id-1", b"|", b"body"))
    else:
        chunks.append((0.0, b"id-1|body"))
    assert len(chunks) == 1 and chunks[0] == chunks[-1] == (0.0, b"id-1|body")
    assert list(chunks) == [(0.0, b"id-1|body")] and chunks == [(0.0, b"id-1|body")]
    with pytest.raises(IndexError):
        chunks[1]
    chunks.append((0.5, b"two"))
    chunks.append_rendered(0.75, (b"three",))
    assert list(chunks) == [(0.0, b"id-1|body"), (0.5, b"two"), (0.75, b"three")]
    assert chunks[1] == (0.5, b"two") and chunks[-1] == (0.75, b"three") and len(chunks) == 3


_HEADER_BYTES = st.binary(max_size=12)


@given(st.lists(st.tuples(_HEADER_BYTES, _HEADER_BYTES), max_size=6))
def test_logged_headers_read_as_the_pairs_sent(pairs: list[tuple[bytes, bytes]]) -> None:
    """Packed or kept as pairs (a NUL inside a name or a value), an entry's headers read as
    the pairs it was given: the last of each name, secrets redacted."""
    log = RequestLog(2)
    sent = list(pairs)
    entry = log.start("POST", "/v1/chat/completions", "", sent, b"{}")
    sent.append((b"later", b"rewritten"))  # the caller's list changes afterwards
    expected = {
        k.decode("latin-1"): redact_header(k.decode("latin-1"), v.decode("latin-1"))
        for k, v in pairs
    }
    assert entry.headers == expected
    assert entry.to_json()["headers"] == expected


def test_headers_are_packed_in_one_bytes_unless_a_nul_is_inside() -> None:
    pairs = [(b"host", b"fake"), (b"authorization", b"Bearer sk-1")]
    assert pack_headers(pairs) == b"host\0fake\0authorization\0Bearer sk-1"
    assert pack_headers(iter(pairs)) == b"host\0fake\0authorization\0Bearer sk-1"
    with_nul = [(b"x-odd", b"a\0b")]
    assert pack_headers(with_nul) == with_nul and pack_headers(with_nul) is not with_nul
    assert pack_headers([]) == []

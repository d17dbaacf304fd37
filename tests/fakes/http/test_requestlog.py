from __future__ import annotations

import pytest

from fakes.http.requestlog import Chunks


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

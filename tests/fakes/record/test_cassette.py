from __future__ import annotations

from pathlib import Path

import pytest

from fakes.record import CassetteError, Chunk, Header, Interaction, load, save
from fakes.record._cassette import dumps


def _item(data: bytes = b"data: x\r\n\r\n", complete: bool = True) -> Interaction:
    return Interaction(
        method="POST",
        path="/v1/chat/completions",
        query="",
        request_headers={"content-type": "application/json"},
        request_body=b'{"model":"m"}',
        status=200,
        response_headers={"content-type": "text/event-stream"},
        chunks=(Chunk(0.01, data), Chunk(0.02, b"\xff\xfe binary")),
        complete=complete,
    )


def test_round_trip_keeps_bytes_offsets_and_cuts(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(upstream="http://u"), [_item(complete=False)])
    loaded = load(path)
    assert loaded.interactions == [_item(complete=False)]
    assert loaded.header.upstream == "http://u"


def test_save_is_atomic_and_leaves_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(), [_item()])
    before = path.read_bytes()

    def explode(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        save(path, Header(), [_item(), _item()])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]


def test_a_truncated_cassette_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    text = dumps(Header(), [_item(), _item()])
    path.write_bytes(text[: len(text) - 40])
    with pytest.raises(CassetteError, match=r"c\.jsonl:3: not JSON .*truncated"):
        load(path)


def test_a_future_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"format": "llm-fakes-cassette", "version": 9}\n')
    with pytest.raises(CassetteError, match=r"c\.jsonl:1: cassette version 9 is newer"):
        load(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r":1: empty file"),
        ("not json\n", r":1: not a cassette header"),
        ('{"format": "other"}\n', r":1: not a cassette header"),
        (
            '{"format": "llm-fakes-cassette", "version": 1}\n{"request": {}}\n',
            r":2: not an interaction",
        ),
        (
            '{"format": "llm-fakes-cassette", "version": 1}\n'
            '{"request": {"method": "POST", "path": "/", "body": {"base64": "!!"}}, '
            '"response": {"status": 200, "chunks": []}}\n',
            r":2, request body: invalid base64",
        ),
    ],
)
def test_corrupted_cassettes(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(text)
    with pytest.raises(CassetteError, match=message):
        load(path)


def test_a_missing_file_is_a_cassette_error(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match=r"nope\.jsonl"):
        load(tmp_path / "nope.jsonl")


def test_a_rewritten_cassette_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(upstream="http://one"), [_item()])
    first = load(path)
    assert load(path).interactions == first.interactions  # served from the parse cache
    save(path, Header(upstream="http://two"), [_item(), _item()])
    second = load(path)
    assert (second.header.upstream, len(second.interactions)) == ("http://two", 2)
    second.interactions.clear()  # a caller's list is its own
    assert len(load(path).interactions) == 2

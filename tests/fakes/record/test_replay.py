from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import httpx2
import openai
import pytest
from click.testing import CliRunner

from fakes.cli import main
from fakes.record import (
    Cassette,
    Chunk,
    Header,
    Interaction,
    NoMatch,
    Replayer,
    load,
    replay_transport,
    replaying,
    save,
)
from fakes.record._convert import sse_chunks
from tests.fakes.record.conftest import ReplayClock

STREAM = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def _chat(
    content: str, answer: bytes, *, user: str | None = None, stream: bool = False
) -> Interaction:
    body: dict[str, object] = {"model": "m", "messages": [{"role": "user", "content": content}]}
    if stream:
        body["stream"] = True
    if user:
        body["user"] = user
    return Interaction(
        method="POST",
        path="/v1/chat/completions",
        query="",
        request_headers={},
        request_body=json.dumps(body).encode(),
        status=200,
        response_headers={"content-type": "text/event-stream"},
        chunks=tuple(Chunk(0.001 * i, piece.data) for i, piece in enumerate(sse_chunks(answer))),
    )


def _body(content: str, **extra: object) -> bytes:
    return json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": content}], **extra}
    ).encode()


def test_identical_requests_replay_in_order_then_the_last_repeats() -> None:
    replayer = Replayer(
        [Cassette(Header(), [_chat("hi", b"data: 1\n\n"), _chat("hi", b"data: 2\n\n")])]
    )
    answers = [
        replayer.match("POST", "/v1/chat/completions", "", _body("hi")).body for _ in range(3)
    ]
    assert answers == [b"data: 1\n\n", b"data: 2\n\n", b"data: 2\n\n"]


def test_volatile_fields_are_ignored_and_configurable() -> None:
    cassette = Cassette(Header(), [_chat("hi", STREAM, user="alice")])
    assert Replayer([cassette]).match("POST", "/v1/chat/completions", "", _body("hi", user="bob"))
    with pytest.raises(NoMatch):
        Replayer([cassette], ignore=()).match(
            "POST", "/v1/chat/completions", "", _body("hi", user="bob")
        )


def test_no_match_names_the_closest_recording_and_the_difference() -> None:
    replayer = Replayer([Cassette(Header(), [_chat("hello there", STREAM), _chat("hi", STREAM)])])
    with pytest.raises(NoMatch) as caught:
        replayer.match("POST", "/v1/chat/completions", "", _body("hi", temperature=0.5))
    assert str(caught.value) == (
        "llm-fakes replay: no recorded interaction matches POST /v1/chat/completions. "
        "Closest: #2 POST /v1/chat/completions, which differs: "
        "body.temperature was not recorded (got 0.5)"
    )


def test_redacted_values_are_never_required_on_replay() -> None:
    from dataclasses import replace

    from fakes.record import Redactor

    secret = "sk-live-0123456789abcdef"
    recorded = Redactor().interaction(
        replace(
            _chat("hi", STREAM),
            query=f"api_key={secret}&tenant=acme",
            request_headers={"authorization": f"Bearer {secret}"},
            request_body=_body("hi", api_key=secret),
        )
    )
    assert secret.encode() not in json.dumps(recorded.query).encode() + recorded.request_body
    replayer = Replayer([Cassette(Header(), [recorded])])
    path = "/v1/chat/completions"
    # CI replays without the secrets (as vcrpy's filters allow), or with other ones
    assert replayer.match("POST", path, "tenant=acme", _body("hi")).body == STREAM
    assert replayer.match(
        "POST", path, "api_key=other-key-987654&tenant=acme", _body("hi", api_key="x")
    )
    # what was not redacted still has to match
    with pytest.raises(NoMatch, match=re.escape("query 'api_key=[redacted]&tenant=acme'")):
        replayer.match("POST", path, "tenant=other", _body("hi"))
    with pytest.raises(NoMatch, match=r'body.messages\[0\].content: got "bye"'):
        replayer.match("POST", path, "tenant=acme", _body("bye"))


async def test_no_match_is_a_404_in_the_openai_error_shape(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(), [_chat("hi", STREAM)])
    with replaying(path, base_url="http://llm.test"):
        async with httpx.AsyncClient(base_url="http://llm.test") as client:
            response = await client.post("/v1/chat/completions", content=_body("other"))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "llm_fakes_no_match"
    assert 'body.messages[0].content: got "other", recorded "hi"' in error["message"]


async def test_in_process_replay_streams_through_respx(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(), [_chat("hi", STREAM)])
    with replaying(path, base_url="http://llm.test") as router:
        async with httpx.AsyncClient(base_url="http://llm.test") as client:
            async with client.stream(
                "POST", "/v1/chat/completions", content=_body("hi")
            ) as response:
                pieces = [chunk async for chunk in response.aiter_raw()]
        assert router.calls.call_count == 1
    assert b"".join(pieces) == STREAM and len(pieces) == 3


async def test_openai_python_3_replays_through_an_httpx2_transport(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    save(path, Header(), [_chat("hi", STREAM, stream=True)])
    client = openai.AsyncOpenAI(
        base_url="http://llm.test/v1",
        api_key="unused",
        http_client=httpx2.AsyncClient(transport=replay_transport(path)),
    )
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    texts = [chunk.choices[0].delta.content async for chunk in stream]
    await client.close()
    assert texts == ["Hi", None]


VCR = """
interactions:
- request:
    body: '{"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": true}'
    headers:
      authorization: [Bearer sk-vcrsecret0123456789]
    method: POST
    uri: http://127.0.0.1:8000/v1/chat/completions
  response:
    body:
      string: "data: {\\"a\\": 1}\\n\\ndata: [DONE]\\n\\n"
    headers:
      content-type: [text/event-stream]
    status: {code: 200, message: OK}
version: 1
"""

HAR = {
    "log": {
        "entries": [
            {
                "request": {
                    "method": "POST",
                    "url": "http://127.0.0.1:4000/v1/chat/completions?key=abc",
                    "headers": [{"name": "x-api-key", "value": "hunter2"}],
                    "postData": {"text": '{"model": "m"}'},
                },
                "response": {
                    "status": 200,
                    "headers": [{"name": "content-type", "value": "text/event-stream"}],
                    "content": {"text": "data: 1\n\ndata: 2\n\n"},
                },
                "timings": {"wait": 100, "receive": 50},
            }
        ]
    }
}


def test_convert_vcrpy_and_har_keep_events_as_chunks_and_redact(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text(VCR)
    (tmp_path / "h.har").write_text(json.dumps(HAR))
    runner = CliRunner()
    for source in ("v.yaml", "h.har"):
        result = runner.invoke(
            main,
            [
                "cassette",
                "convert",
                str(tmp_path / source),
                "--out",
                str(tmp_path / f"{source}.jsonl"),
            ],
        )
        assert result.exit_code == 0, result.output
    converted = load(tmp_path / "v.yaml.jsonl").interactions[0]
    assert [c.data for c in converted.chunks] == [b'data: {"a": 1}\n\n', b"data: [DONE]\n\n"]
    assert converted.request_headers["authorization"] == "[redacted]"
    har = load(tmp_path / "h.har.jsonl").interactions[0]
    assert [(c.offset, c.data) for c in har.chunks] == [
        (0.125, b"data: 1\n\n"),
        (0.15, b"data: 2\n\n"),
    ]
    assert (har.query, har.request_headers["x-api-key"]) == ("key=[redacted]", "[redacted]")


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "llm-fakes-cassette", "version": 1}\n{oops\n')
    result = CliRunner().invoke(main, ["replay", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}:2: not JSON")
    result = CliRunner().invoke(
        main, ["cassette", "convert", str(bad), "--out", str(tmp_path / "x.jsonl")]
    )
    assert "convert reads vcrpy .yaml/.yml and .har files" in result.output


async def test_in_process_replay_of_a_cut_raises_after_the_chunks(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    cut = _chat("hi", b"data: 1\n\ndata: 2\n\n")
    save(path, Header(), [Interaction(**{**cut.__dict__, "complete": False})])
    received = []
    with replaying(path, base_url="http://llm.test"):
        async with httpx.AsyncClient(base_url="http://llm.test") as client:
            async with client.stream(
                "POST", "/v1/chat/completions", content=_body("hi")
            ) as response:
                with pytest.raises(httpx.RemoteProtocolError):
                    async for chunk in response.aiter_raw():
                        received.append(chunk)
    assert received == [b"data: 1\n\n", b"data: 2\n\n"]


@pytest.mark.parametrize(("speed", "gaps"), [(1.0, [0.1, 0.15]), (2.0, [0.05, 0.075]), (0.0, [])])
async def test_in_process_replay_keeps_the_recorded_pace(
    tmp_path: Path, replay_clock: ReplayClock, speed: float, gaps: list[float]
) -> None:
    path = tmp_path / "c.jsonl"
    slow = _chat("hi", b"data: 1\n\ndata: 2\n\n")
    paced = tuple(Chunk(offset, c.data) for offset, c in zip((0.1, 0.25), slow.chunks, strict=True))
    save(path, Header(), [Interaction(**{**slow.__dict__, "chunks": paced})])
    with replaying(path, base_url="http://llm.test", speed=speed):
        async with httpx.AsyncClient(base_url="http://llm.test") as client:
            async with client.stream(
                "POST", "/v1/chat/completions", content=_body("hi")
            ) as response:
                async for chunk in response.aiter_raw():
                    replay_clock.log.append(("chunk", chunk))
    # each chunk waits for its recorded offset, divided by the speed; speed 0 never waits
    kinds = [kind for kind, _ in replay_clock.log]
    assert kinds == (["sleep", "chunk"] * 2 if gaps else ["chunk"] * 2)
    assert replay_clock.sleeps() == pytest.approx(gaps)

"""Huge and deeply nested bodies on every fake: a 413 past the size limit, a 400 for JSON too
deep to handle, never a 500 (regressions for the bugs the fuzz suite found)."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.record import Recorder, Redactor, Replayer, load
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config
from tests.reliability._targets import (
    REFERENCE_CASSETTE,
    Fleet,
    json_or_none,
    litellm_error_shape,
    openai_error_shape,
    vllm_error_shape,
)
from tests.reliability.figures import FIGURES

LIMIT = 4096


def _small_apps(tmp: Path) -> dict[str, object]:
    vllm = vllm_config("0.9.2", max_body_bytes=LIMIT)
    profile, release = resolve_litellm_profile("1.110.2", None)
    upstream = create_vllm_app(vllm_config("0.9.2"))
    litellm = LitellmConfig(
        profile=profile,
        version=release,
        deployments=(Deployment("fake-model", "hosted_vllm", "fake-model", "http://up.fake/v1"),),
        max_body_bytes=LIMIT,
    )
    return {
        "vllm": create_vllm_app(vllm),
        "litellm": create_litellm_app(litellm, transport=StreamingASGITransport(upstream)),
        "replay": Replayer([load(REFERENCE_CASSETTE)], speed=0, max_body=LIMIT),
        "recorder": Recorder(
            "http://up.fake",
            tmp / "c.jsonl",
            transport=StreamingASGITransport(upstream),
            max_body=LIMIT,
        ),
    }


@pytest.mark.parametrize("name", ["vllm", "litellm", "replay", "recorder"])
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/_fake/script"])
async def test_a_body_past_the_limit_is_a_413_in_the_backends_shape(
    tmp_path: Path, name: str, path: str
) -> None:
    app = _small_apps(tmp_path)[name]
    body = orjson.dumps({**CHAT, "padding": "x" * LIMIT})
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(app),  # type: ignore[arg-type]
        base_url="http://fake",
    ) as client:
        response = await client.request("PUT" if "_fake" in path else "POST", path, content=body)
    FIGURES["size-limit requests"] += 1
    assert response.status_code == 413
    parsed = response.json()
    if name == "vllm" and path.startswith("/_fake"):
        assert parsed == {"detail": f"body exceeds the fake's limit of {LIMIT} bytes"}
    elif name == "vllm":
        profile = vllm_config("0.9.2").profile
        assert vllm_error_shape(profile.knobs, parsed) and parsed["code"] == 413
    elif name == "litellm" and path.startswith("/_fake"):
        assert set(parsed) == {"detail"}
    elif name == "litellm":
        assert litellm_error_shape(parsed) and parsed["error"]["code"] == "413"
    else:
        assert openai_error_shape(parsed) and parsed["error"]["code"] == 413
    if name == "recorder":
        assert load(tmp_path / "c.jsonl").interactions == []  # never reached the upstream


DEEP = {
    "deep array": b"[" * 5000 + b"]" * 5000,
    "unterminated": b"[" * 200_000,
    "300 levels (past orjson's writer)": b'{"a":' * 300 + b"1" + b"}" * 300,
    "990 levels (at Python's recursion limit)": b'{"a":' * 990 + b"1" + b"}" * 990,
    "deep messages": b'{"model":"fake-model","messages":' + b"[" * 400 + b"]" * 400 + b"}",
    "deep tools": (
        b'{"model":"fake-model","messages":[{"role":"user","content":"hi"}],"tools":[{"type":'
        b'"function","function":{"name":"f","parameters":'
        + b'{"a":' * 400
        + b"1"
        + b"}" * 400
        + b"}}]}"
    ),
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    return Fleet(tmp_path_factory.mktemp("deep"))


@pytest.mark.parametrize("body", list(DEEP.values()), ids=list(DEEP))
async def test_deeply_nested_json_is_never_a_500(fleet: Fleet, body: bytes) -> None:
    for target in fleet.targets.values():
        if "dead-upstream" in target.name:
            continue  # a dead upstream is a 500 (502 from the recorder) by design
        async with httpx.AsyncClient(
            transport=StreamingASGITransport(target.app), base_url="http://fake"
        ) as client:
            for path in ["/v1/chat/completions", "/v1/responses", "/_fake/script"]:
                method = "PUT" if path.startswith("/_fake") else "POST"
                headers = {
                    "content-type": "application/json",
                    "authorization": "Bearer sk-master-0000000",
                }
                response = await client.request(method, path, content=body, headers=headers)
                FIGURES["deep-JSON requests"] += 1
                assert response.status_code < 500, (target.name, path, response.text[:300])
                assert b"Traceback" not in response.content
            log = await client.get("/_fake/requests")
            assert log.status_code in (200, 404), (target.name, log.text[:300])


def test_vllm_answers_too_deep_json_as_a_decode_error() -> None:
    from fakes.vllm._requests import _JsonInvalid, parse_json

    with pytest.raises(_JsonInvalid) as caught:
        parse_json(b"[" * 300 + b"]" * 300)
    assert caught.value.errors[0]["type"] == "json_invalid"
    assert caught.value.errors[0]["ctx"] == {"error": "JSON nested more than 200 levels deep"}


def test_redaction_of_json_too_deep_to_walk_still_finds_secret_fields() -> None:
    body = b'{"api_key": "canary-deep-1", "x":' + b"[" * 300 + b"]" * 300 + b', "Password": 12345}'
    redacted = Redactor().body(body)
    assert b"canary-deep-1" not in redacted and b"12345" not in redacted
    assert redacted.startswith(b'{"api_key": "[redacted]", "x":[[[')


async def test_recorder_forwards_a_non_ascii_header_and_a_nul_in_the_path(tmp_path: Path) -> None:
    upstream = create_vllm_app(vllm_config("0.9.2"))
    recorder = Recorder(
        "http://up.fake", tmp_path / "c.jsonl", transport=StreamingASGITransport(upstream)
    )
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(recorder), base_url="http://fake"
    ) as client:
        response = await client.post(
            "/v1/chat/completions", json=CHAT, headers={"x-note": "caf\xe9".encode("latin-1")}
        )
        assert response.status_code == 200
        response = await client.post("/v1/chat/completions%00", json=CHAT)
        assert response.status_code == 404 and json_or_none(response.content) == {
            "detail": "Not Found"
        }
    first, second = load(tmp_path / "c.jsonl").interactions
    assert first.request_headers["x-note"] == "caf\xe9"
    assert second.status == 404

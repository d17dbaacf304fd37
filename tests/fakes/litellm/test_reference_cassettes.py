"""The real LiteLLM proxies' answers to the scenario catalogue (recordings/litellm/*.json and
the replayable sessions recordings/litellm-*.jsonl, from `make record-reference`): the fake,
in front of the same fake vLLMs, answers every exchange with the same values; the only
differences allowed are the ones listed beside each recording (``*.known.txt``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.http.server import live
from fakes.record import load
from reference.litellm_conformance import _known, _recording
from reference.litellm_conformance._compare import differences
from reference.litellm_conformance._stacks import fake_answers, replayed_hub
from reference.litellm_conformance._upstream_kinds import resolve_upstream

ROOT = Path(__file__).parents[3] / "recordings"
CASSETTES = sorted(ROOT.glob("litellm-*.jsonl"))
RECORDINGS = sorted((ROOT / "litellm").glob("litellm-*+*.json"))


def _version(path: Path) -> str:
    return path.stem.removeprefix("litellm-")


def test_both_release_lines_are_recorded_in_front_of_two_upstreams() -> None:
    names = [p.stem for p in RECORDINGS]
    for line in ("1.74", "1.110"):
        assert any(n.startswith(f"litellm-{line}") and "+vllm-0.9" in n for n in names), names
        assert len([n for n in names if n.startswith(f"litellm-{line}")]) >= 2, names
    assert [_version(p).split("+")[0] for p in CASSETTES], CASSETTES


@pytest.mark.parametrize("path", CASSETTES + RECORDINGS, ids=lambda p: p.name)
def test_secrets_never_reached_the_recordings(path: Path) -> None:
    text = path.read_text()
    assert "Str0ng-Master-Key" not in text and "127.0.0.1" not in text
    assert "/lib/python" not in text  # the real proxy's install folder, in its tracebacks


@pytest.mark.live
@pytest.mark.parametrize("path", CASSETTES, ids=_version)
def test_the_recorded_session_replays_byte_for_byte(path: Path) -> None:
    from fakes.record import Replayer

    cassette = load(path)
    assert cassette.header.redacted and len(cassette.interactions) > 50
    with live(Replayer([cassette], speed=0)) as server, httpx.Client(timeout=10) as client:
        for item in cassette.interactions:
            query = f"?{item.query}" if item.query else ""
            with client.stream(
                item.method, server.url + item.path + query, content=item.request_body
            ) as response:
                try:
                    body = response.read()
                except httpx.RemoteProtocolError:
                    assert not item.complete
                    continue
            assert (response.status_code, body) == (item.status, item.body), item.path


@pytest.mark.live
@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_the_fake_answers_like_the_recorded_real_proxy(path: Path) -> None:
    recorded = _recording.read(path)
    # in front of the very answers the real proxy had from its fake vLLMs (SGLang, Ollama,
    # llama.cpp), behind the provider each is configured with
    provider = resolve_upstream(recorded.upstream).provider
    hub = replayed_hub(recorded.upstream_answers)
    fake = fake_answers(recorded.litellm, recorded.units, hub, provider)
    found = _known.flat(differences(recorded.answers, fake))
    known = _known.load(path)
    assert [line for line in found if line not in known] == [], "new differences"
    assert [line for line in known if line not in found] == [], "fixed: drop from known.txt"


def test_differences_are_reported_by_json_path_and_value() -> None:
    def answer(body: str, **headers: str) -> dict[str, object]:
        pairs = [["content-type", "application/json"], *map(list, headers.items())]
        return {"status": 200, "headers": pairs, "body": body}

    real = {
        "u": [
            answer('{"id":"chatcmpl-1a2b3c4d5e","model":"m","usage":{"n":1},"created":1}', x_a="1")
        ]
    }
    fake = {
        "u": [
            answer(
                '{"id":"chatcmpl-9f8e7d6c5b","model":"other","usage":{"n":2},"created":2}', x_b="1"
            )
        ]
    }
    assert differences(real, fake) == {
        "u": [
            "u[0].headers.x_a: only in the real proxy ('1')",
            "u[0].headers.x_b: only in the fake ('1')",
            "u[0].body.json.model: real 'm' != fake 'other'",
            "u[0].body.json.usage.n: real 1 != fake 2",
        ]
    }


def test_only_run_dependent_parts_are_not_compared() -> None:
    def answer(body: str) -> dict[str, object]:
        return {"status": 200, "headers": [["content-type", "application/json"]], "body": body}

    def fields(text: str) -> dict[str, object]:
        return answer(f'{{"provider_specific_fields":{{{text}}}}}')

    def cooling(ids: list[str], n: int) -> dict[str, object]:
        listed = ", ".join(f"'{i}'" for i in ids)
        return answer(f'{{"message":"... cooldown_list=[{listed}]","n":{n}}}')

    real = {"u": [fields('"a":1,"b":null'), cooling(["1" * 64], 1)]}
    same = {"u": [fields('"b":null,"a":1'), cooling(["2" * 64, "3" * 64], 1)]}
    assert differences(real, same) == {}
    other = {"u": [fields('"a":2'), cooling(["1"], 2)]}
    assert differences(real, other) == {
        "u": [
            "u[0].body.json.provider_specific_fields.b: only in the real proxy (null)",
            "u[0].body.json.provider_specific_fields.a: real 1 != fake 2",
            "u[1].body.json.n: real 1 != fake 2",
        ]
    }


async def test_the_real_proxys_upstream_pauses_before_a_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reference.litellm_conformance import _upstream

    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(_upstream.asyncio, "sleep", pause)

    def app(finish: bool) -> Any:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"x", "more_body": not finish})

        return asgi

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    for finish in (True, False):
        await _upstream._paced_cuts(app(finish))(scope, receive, send)
    assert pauses == [_upstream.CUT_PAUSE]


@pytest.mark.parametrize("kind", ["sglang", "ollama", "llamacpp"])
def test_each_other_server_is_recorded_on_both_release_lines(kind: str) -> None:
    from fakes.profiles import builtin

    newest = builtin(kind).newest().name
    names = {p.stem for p in RECORDINGS}
    assert {f"litellm-1.110.2+{newest}", f"litellm-1.74.15.post2+{newest}"} <= names


def test_the_catalogue_in_front_of_sglang_is_its_scenarios_behind_openai() -> None:
    from contracts._backends import SGLANG_SCENARIOS
    from reference.litellm_conformance._units import build_upstream, catalogue

    server = resolve_upstream("sglang")
    assert (server.kind, server.provider) == ("sglang", "openai")
    units = catalogue("1.110.2", "sglang")
    scenarios = {u.source.removeprefix("scenario:") for u in units if u.source.startswith("sc")}
    assert scenarios and scenarios <= SGLANG_SCENARIOS
    assert resolve_upstream("vllm-0.9").provider == "hosted_vllm"
    # a probe's upstream is the fake SGLang itself: its /get_model_info route answers
    app = build_upstream("probe:models", "sglang", "1.110.2")

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sglang") as client:
            return await client.get("/get_model_info")

    import asyncio

    assert asyncio.run(get()).status_code == 200

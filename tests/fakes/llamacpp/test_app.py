"""The fake llama-server, build by build: each profile's quirks on the wire."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from fakes.llamacpp import LlamacppConfig, create_llamacpp_app
from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.profiles import builtin

PROFILES = {p.name: p for p in builtin("llamacpp")}
HI = {"messages": [{"role": "user", "content": "hi"}]}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def _client(name: str, **options: Any) -> httpx.AsyncClient:
    profile = PROFILES[name]
    script = Script(rules=(Rule(reply=Reply(text=" alpha beta gamma")),))
    options.setdefault("script", script)
    config = LlamacppConfig(profile=profile, build=int(profile.reference), alias="tiny", **options)
    app = create_llamacpp_app(config)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake")


def _events(text: str) -> list[str]:
    return [block for block in text.split("\n\n") if block]


def _data(block: str) -> Any:
    assert block.startswith("data: "), block
    return json.loads(block.removeprefix("data: "))


async def test_plain_chat_body_has_timings_and_fingerprint_from_b4800() -> None:
    async with _client("llamacpp-b11434") as client:
        body = (await client.post("/v1/chat/completions", json=HI)).json()
    assert body["system_fingerprint"] == "b11434-unknown"
    assert body["model"] == "tiny"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": " alpha beta gamma"}
    assert body["usage"]["completion_tokens"] == 4  # three pieces and the EOS token
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}
    assert body["timings"]["predicted_n"] == 4
    assert body["id"].startswith("chatcmpl-") and len(body["id"]) == len("chatcmpl-") + 32


async def test_b3600_has_no_fingerprint_nor_timings_and_echoes_the_model() -> None:
    async with _client("llamacpp-b3600") as client:
        named = (await client.post("/v1/chat/completions", json={**HI, "model": "m"})).json()
        unnamed = (await client.post("/v1/chat/completions", json=HI)).json()
    assert "system_fingerprint" not in named and "timings" not in named
    assert named["model"] == "m"
    assert unnamed["model"] == "gpt-3.5-turbo-0613"


@pytest.mark.parametrize(
    ("name", "keys", "message"),
    [
        (
            "llamacpp-b11434",
            ["choices", "created", "model", "system_fingerprint", "object", "usage", "id"],
            ["role", "content"],
        ),
        (
            "llamacpp-b3600",
            ["choices", "created", "model", "object", "usage", "id"],
            ["content", "role"],
        ),
    ],
)
async def test_keys_keep_the_order_the_server_inserts_them(
    name: str, keys: list[str], message: list[str]
) -> None:
    async with _client(name) as client:
        raw = (await client.post("/v1/chat/completions", json=HI)).content
    body = json.loads(raw)
    assert [k for k in body if k != "timings"] == keys
    assert list(body["choices"][0]["message"]) == message
    assert b", " not in raw.split(b'"content"')[0]  # compact: no spaces after separators


async def test_b11434_stream_usage_only_when_asked_in_its_own_chunk() -> None:
    request = {**HI, "stream": True}
    async with _client("llamacpp-b11434") as client:
        bare = _events((await client.post("/v1/chat/completions", json=request)).text)
        asked = {**request, "stream_options": {"include_usage": True}}
        usage = _events((await client.post("/v1/chat/completions", json=asked)).text)
    assert bare[-1] == "data: [DONE]"
    assert _data(bare[0])["choices"][0]["delta"] == {"role": "assistant", "content": None}
    assert [_data(b)["choices"][0]["delta"].get("content") for b in bare[1:4]] == [
        " alpha",
        " beta",
        " gamma",
    ]
    finish = _data(bare[-2])
    assert finish["choices"][0]["finish_reason"] == "stop" and "usage" not in finish
    assert "timings" in finish
    last = _data(usage[-2])
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 4
    assert "timings" in last and "timings" not in _data(usage[-3])


@pytest.mark.parametrize("name", ["llamacpp-b3600", "llamacpp-b4800"])
async def test_older_builds_put_usage_on_the_finish_chunk(name: str) -> None:
    async with _client(name) as client:
        text = (await client.post("/v1/chat/completions", json={**HI, "stream": True})).text
    events = _events(text)
    # no role delta: "first" is tested after n_decoded was incremented
    assert _data(events[0])["choices"][0]["delta"] == {"content": " alpha"}
    finish = _data(events[-2] if name == "llamacpp-b4800" else events[-1])
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["usage"]["completion_tokens"] == 4
    assert (events[-1] == "data: [DONE]") is (name == "llamacpp-b4800")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("llamacpp-b3600", 'error: {"code":500,"message":"boom","type":"server_error"}'),
        ("llamacpp-b4800", 'error: {"code":500,"message":"boom","type":"server_error"}'),
        (
            "llamacpp-b11434",
            'data: {"error":{"code":500,"message":"boom","type":"server_error"}}',
        ),
    ],
)
async def test_an_error_during_a_stream_is_a_200_with_the_builds_error_event(
    name: str, expected: str
) -> None:
    headers = {"x-fake-fault": "error_frame; after_chunks=2; message=boom"}
    async with _client(name) as client:
        answer = await client.post(
            "/v1/chat/completions", json={**HI, "stream": True}, headers=headers
        )
    events = _events(answer.text)
    assert answer.status_code == 200
    assert len(events) >= 3
    error_at = 2  # after two chunks: role + " alpha" on b11434, " alpha" + " beta" before
    assert events[error_at] == expected
    assert events[error_at + 1 :] == (["data: [DONE]"] if name == "llamacpp-b4800" else [])


@pytest.mark.parametrize(
    ("name", "jinja", "stream", "message"),
    [
        ("llamacpp-b3600", True, False, "Unsupported param: tools"),
        ("llamacpp-b4800", True, True, "Cannot use tools with stream"),
        ("llamacpp-b4800", False, False, "tools param requires --jinja flag"),
        ("llamacpp-b11434", False, True, "tools param requires --jinja flag"),
    ],
)
async def test_tool_refusals_are_500_server_errors(
    name: str, jinja: bool, stream: bool, message: str
) -> None:
    async with _client(name, jinja=jinja) as client:
        answer = await client.post(
            "/v1/chat/completions", json={**HI, "tools": TOOLS, "stream": stream}
        )
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": 500, "message": message, "type": "server_error"}}


async def test_b11434_streams_tool_calls_with_jinja_by_default() -> None:
    reply = Reply(tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Oslo"}),))
    script = Script(rules=(Rule(reply=reply),))
    async with _client("llamacpp-b11434", script=script) as client:
        text = (
            await client.post("/v1/chat/completions", json={**HI, "tools": TOOLS, "stream": True})
        ).text
    deltas = [_data(b)["choices"] for b in _events(text)[:-1]]
    calls = [c[0]["delta"]["tool_calls"][0] for c in deltas if c and "tool_calls" in c[0]["delta"]]
    assert calls[0]["function"] == {"name": "get_weather"} and len(calls[0]["id"]) == 32
    assert "".join(c["function"].get("arguments", "") for c in calls) == '{"city":"Oslo"}'
    assert deltas[-1][0]["finish_reason"] == "tool_calls"


async def test_b4800_plain_tool_call_has_null_content() -> None:
    reply = Reply(tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Oslo"}),))
    async with _client(
        "llamacpp-b4800", jinja=True, script=Script(rules=(Rule(reply=reply),))
    ) as c:
        body = (await c.post("/v1/chat/completions", json={**HI, "tools": TOOLS})).json()
    message = body["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"][0]["function"]["name"] == "get_weather"


async def test_reasoning_content_streams_on_b11434_and_stays_inline_on_b4800() -> None:
    script = Script(rules=(Rule(reply=Reply(text=" ok", reasoning=" think")),))
    request = {**HI, "stream": True}
    async with _client("llamacpp-b11434", script=script) as client:
        new = (await client.post("/v1/chat/completions", json=request)).text
    async with _client("llamacpp-b4800", jinja=True, script=script) as client:
        old = (await client.post("/v1/chat/completions", json=request)).text
        plain = (await client.post("/v1/chat/completions", json=HI)).json()
    assert '"reasoning_content":" think"' in new
    assert "reasoning_content" not in old
    pieces = [_data(b)["choices"][0]["delta"].get("content") or "" for b in _events(old)[:-1]]
    assert "".join(pieces) == "<think> think</think> ok"  # partials stream the raw text
    assert plain["choices"][0]["message"]["reasoning_content"] == " think"


async def test_errors_routes_and_auth() -> None:
    async with _client("llamacpp-b11434", api_keys=("k",)) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/v1/health")).status_code == 200
        denied = await client.get("/v1/models")
        missing = await client.get("/nope", headers={"authorization": "Bearer k"})
        slots = await client.get("/slots", headers={"authorization": "Bearer k"})
        metrics = await client.get("/metrics", headers={"x-api-key": "k"})
    assert denied.status_code == 401
    assert denied.json()["error"] == {
        "code": 401,
        "message": "Invalid API Key",
        "type": "authentication_error",
    }
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "File Not Found"
    assert slots.status_code == 200 and len(slots.json()) == 1
    assert metrics.status_code == 501
    assert metrics.json()["error"]["type"] == "not_supported_error"


async def test_b4800_leaves_models_public_and_has_no_v1_health() -> None:
    async with _client("llamacpp-b4800", api_keys=("k",)) as client:
        assert (await client.get("/v1/models")).status_code == 200
        assert (await client.get("/v1/health")).status_code == 401  # unknown and not public
        assert (
            await client.get("/slots", headers={"authorization": "Bearer k"})
        ).status_code == 501


async def test_completions_and_bad_json() -> None:
    async with _client("llamacpp-b11434") as client:
        body = (await client.post("/v1/completions", json={"prompt": "hi"})).json()
        bad = await client.post(
            "/v1/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
        )
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"] == " alpha beta gamma"
    assert body["choices"][0]["logprobs"] is None
    assert bad.status_code in (400, 500) and bad.json()["error"]["code"] == bad.status_code


async def test_a_stop_string_ends_the_answer_and_its_token_is_counted() -> None:
    async with _client("llamacpp-b11434") as client:
        body = (await client.post("/v1/chat/completions", json={**HI, "stop": [" gamma"]})).json()
        short = (await client.post("/v1/chat/completions", json={**HI, "max_tokens": 2})).json()
    assert body["choices"][0]["message"]["content"] == " alpha beta"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 3  # " alpha", " beta" and " gamma"
    assert short["choices"][0]["finish_reason"] == "length"
    assert short["usage"]["completion_tokens"] == 2  # no EOS sampled


async def test_metrics_with_the_flag_count_what_was_generated() -> None:
    async with _client("llamacpp-b11434", metrics=True) as client:
        await client.post("/v1/chat/completions", json=HI)
        text = (await client.get("/metrics")).text
    assert "# TYPE llamacpp:tokens_predicted_total counter\n" in text
    assert "llamacpp:tokens_predicted_total 4\n" in text
    assert "llamacpp:requests_processing 0\n" in text

"""The OpenAI-compatible layer, release by release (facts read in ollama's openai/openai.go
and middleware/openai.go at each tag; see fakes/profiles/ollama/)."""

from __future__ import annotations

import re
from typing import Any

import orjson

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from tests.conftest import chunks, events

HELLO = Script(rules=(Rule(reply=Reply(text="Hello there world")),))
WEATHER = Script(
    rules=(
        Rule(
            reply=Reply(
                tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Paris"}),)
            )
        ),
    )
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
ASK = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
STREAM = {**ASK, "stream": True}
USAGE = {**STREAM, "stream_options": {"include_usage": True}}


async def _post(ollama: Any, version: str, body: dict[str, Any], script: Script = HELLO) -> Any:
    async with ollama(version, script=script) as client:
        return await client.post("/v1/chat/completions", json=body)


async def test_a_plain_body_has_ollamas_id_fingerprint_and_usage(ollama: Any) -> None:
    response = await _post(ollama, "0.3.1", ASK)
    assert response.headers["content-type"] == "application/json"
    assert response.text.endswith("}\n")  # json.NewEncoder adds a newline
    body = response.json()
    assert re.fullmatch(r"chatcmpl-\d{1,3}", body["id"])
    assert body["system_fingerprint"] == "fp_ollama"
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there world"},
            "finish_reason": "stop",
        }
    ]
    assert body["usage"]["completion_tokens"] == 3
    assert list(body) == [
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
    ]


async def test_include_usage_is_ignored_before_0_5_2_and_honoured_from_it(ollama: Any) -> None:
    old = chunks((await _post(ollama, "0.5.1", USAGE)).text)
    assert all("usage" not in c for c in old)
    new = chunks((await _post(ollama, "0.5.2", USAGE)).text)
    assert new[-1]["choices"] == [] and new[-1]["usage"]["completion_tokens"] == 3
    assert all("usage" not in c for c in new[:-1])
    plain = chunks((await _post(ollama, "0.5.2", STREAM)).text)
    assert all("usage" not in c for c in plain)


async def test_old_chunks_repeat_the_role_and_say_null_until_the_done_chunk(ollama: Any) -> None:
    response = await _post(ollama, "0.5.2", STREAM)
    assert response.headers["content-type"] == "text/event-stream"
    got = chunks(response.text)
    assert [c["choices"][0]["delta"] for c in got] == [
        {"role": "assistant", "content": "Hello"},
        {"role": "assistant", "content": " there"},
        {"role": "assistant", "content": " world"},
        {"role": "assistant", "content": ""},
    ]
    assert [c["choices"][0]["finish_reason"] for c in got] == [None, None, None, "stop"]
    assert events(response.text)[-1] == "[DONE]"


async def test_0_32_6_sends_the_role_once_and_finish_on_its_own_chunk(ollama: Any) -> None:
    got = chunks((await _post(ollama, "0.32.6", USAGE)).text)
    assert [c["choices"][0]["delta"] if c["choices"] else None for c in got] == [
        {"role": "assistant", "content": "Hello"},
        {"content": " there"},
        {"content": " world"},
        {},
        None,
    ]
    assert got[3]["choices"][0]["finish_reason"] == "stop"
    assert got[4]["usage"]["total_tokens"] == got[4]["usage"]["prompt_tokens"] + 3


def _tool_deltas(text: str) -> list[dict[str, Any]]:
    return [d for c in chunks(text) for d in c["choices"][0]["delta"].get("tool_calls", [])]


async def test_streamed_tool_calls_by_release(ollama: Any) -> None:
    body = {**STREAM, "tools": TOOLS}
    # 0.3.x: no parsing while streaming, the call is the model's text
    old = await _post(ollama, "0.4.5", body, WEATHER)
    assert _tool_deltas(old.text) == []
    text = "".join(c["choices"][0]["delta"]["content"] for c in chunks(old.text))
    assert orjson.loads(text) == {"name": "get_weather", "arguments": {"city": "Paris"}}
    # 0.4.6: whole, in one chunk, without index; finish stays "stop"
    whole = await _post(ollama, "0.4.6", body, WEATHER)
    (call,) = _tool_deltas(whole.text)
    assert "index" not in call
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert re.fullmatch(r"call_[a-z0-9]{8}", call["id"])
    assert chunks(whole.text)[-1]["choices"][0]["finish_reason"] == "stop"
    # 0.4.7 adds the index; 0.5.12 says tool_calls at the end
    assert _tool_deltas((await _post(ollama, "0.4.7", body, WEATHER)).text)[0]["index"] == 0
    late = await _post(ollama, "0.5.12", body, WEATHER)
    assert chunks(late.text)[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_with_tools_0_4_6_holds_text_back_and_0_8_streams_it(ollama: Any) -> None:
    body = {**STREAM, "tools": TOOLS}
    held = chunks((await _post(ollama, "0.7.0", body)).text)
    assert [c["choices"][0]["delta"]["content"] for c in held] == ["Hello there world"]
    streamed = chunks((await _post(ollama, "0.8.0", body)).text)
    assert len(streamed) == 4


async def test_errors_on_v1_by_release(ollama: Any) -> None:
    unknown = {**ASK, "model": "nope"}
    old = await _post(ollama, "0.11.11", unknown)
    assert old.status_code == 404
    assert old.json() == {
        "error": {
            "message": 'model "nope" not found, try pulling it first',
            "type": "api_error",
            "param": None,
            "code": None,
        }
    }
    mid = (await _post(ollama, "0.12.0", unknown)).json()["error"]
    assert (mid["message"], mid["type"]) == ("model 'nope' not found", "api_error")
    new = (await _post(ollama, "0.18.0", unknown)).json()["error"]
    assert new["type"] == "not_found_error"
    empty = await _post(ollama, "0.3.1", {**ASK, "messages": []})
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "[] is too short - 'messages'"
    assert empty.json()["error"]["type"] == "invalid_request_error"
    wrong = await _post(ollama, "0.3.1", {**ASK, "max_tokens": "3"})
    assert wrong.json()["error"]["message"] == (
        "json: cannot unmarshal string into Go struct field "
        "ChatCompletionRequest.max_tokens of type int"
    )


async def test_max_tokens_minus_one_is_no_limit(ollama: Any) -> None:
    response = await _post(ollama, "0.32.6", {**ASK, "max_tokens": -1})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "Hello there world"


async def test_responses_route_appears_in_0_13_3(ollama: Any) -> None:
    async with ollama("0.13.2", script=HELLO) as client:
        absent = await client.post("/v1/responses", json={"model": "fake-model", "input": "hi"})
    assert (absent.status_code, absent.text) == (404, "404 page not found")
    assert absent.headers["content-type"] == "text/plain"
    async with ollama("0.13.3", script=HELLO) as client:
        body = (
            await client.post("/v1/responses", json={"model": "fake-model", "input": "hi"})
        ).json()
        streamed = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": "hi", "stream": True}
        )
    assert re.fullmatch(r"resp_\d+", body["id"])
    assert body["output"][0]["content"] == [{"type": "output_text", "text": "Hello there world"}]
    names = re.findall(r"^event: (\S+)$", streamed.text, re.M)
    assert names[0] == "response.created" and names[-1] == "response.completed"
    assert names.count("response.output_text.delta") == 3
    first = orjson.loads(streamed.text.split("\n")[1].removeprefix("data: "))
    assert list(first) == sorted(first)  # a Go map: keys sorted


async def test_a_mid_stream_error_is_an_empty_chunk_and_no_done(ollama: Any) -> None:
    from fakes.model.faults import Fault, FaultKind, FaultRule

    fault = FaultRule(fault=Fault(kind=FaultKind.ERROR_FRAME, after_chunks=2, message="boom"))
    async with ollama("0.5.2", script=HELLO, faults=(fault,)) as client:
        response = await client.post("/v1/chat/completions", json=STREAM)
    got = events(response.text)
    assert "[DONE]" not in got and "boom" not in response.text
    last = orjson.loads(got[-1])
    assert last["model"] == "" and last["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
    }

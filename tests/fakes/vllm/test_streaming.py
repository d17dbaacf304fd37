"""Stream usage modes, tool-call deltas and reasoning fields per release."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fakes.http.server import live
from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.profiles import resolve_vllm_profile
from fakes.vllm.app import create_vllm_app
from tests.conftest import CHAT, chunks, vllm_config
from tests.conftest import WEATHER_TOOLS as TOOLS

HELLO = Script(rules=(Rule(reply=Reply(text="Hello there!")),))
STREAM = {**CHAT, "stream": True}


async def _stream(vllm: Any, version: str, body: dict[str, Any], **config: Any) -> list[Any]:
    async with vllm(version, **config) as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.text.endswith("data: [DONE]\n\n")
    return chunks(response.text)


@pytest.mark.parametrize("version", ["0.5.3", "0.6.4", "0.9.2", "0.12.0"])
async def test_no_usage_without_stream_options(vllm: Any, version: str) -> None:
    # The seed bug: a client that assumes a final usage chunk gets nothing.
    got = await _stream(vllm, version, STREAM, script=HELLO)
    assert all("usage" not in chunk for chunk in got)


@pytest.mark.parametrize("version", ["0.5.3", "0.6.4", "0.9.2", "0.12.0"])
async def test_include_usage_adds_a_final_chunk_with_empty_choices(vllm: Any, version: str) -> None:
    got = await _stream(
        vllm,
        version,
        {**STREAM, "stream_options": {"include_usage": True, "continuous_usage_stats": False}},
        script=HELLO,
    )
    assert got[-1]["choices"] == []
    assert got[-1]["usage"] == {"prompt_tokens": 5, "total_tokens": 9, "completion_tokens": 4}
    others = got[:-1]
    if version == "0.5.3":  # serving_chat.py:248-250 chunk.usage = None
        assert all(chunk["usage"] is None for chunk in others)
    else:
        assert all("usage" not in chunk for chunk in others)


@pytest.mark.parametrize("version", ["0.5.3", "0.9.2"])
async def test_empty_stream_options_turns_usage_on(vllm: Any, version: str) -> None:
    got = await _stream(vllm, version, {**STREAM, "stream_options": {}}, script=HELLO)
    assert got[-1]["choices"] == [] and got[-1]["usage"]["completion_tokens"] == 4


async def test_from_0_18_empty_stream_options_means_no_usage(vllm: Any) -> None:
    got = await _stream(vllm, "0.20.0", {**STREAM, "stream_options": {}}, script=HELLO)
    assert all("usage" not in chunk for chunk in got)


@pytest.mark.parametrize(("version", "has_key"), [("0.23.0", True), ("0.25.0", False)])
async def test_plain_answers_drop_empty_tool_calls_from_0_24(
    vllm: Any, version: str, has_key: bool
) -> None:
    async with vllm(version, script=HELLO) as client:
        message = (await client.post("/v1/chat/completions", json=CHAT)).json()["choices"][0][
            "message"
        ]
    assert ("tool_calls" in message) is has_key


async def test_0_4_puts_usage_on_the_finish_chunk_always(vllm: Any) -> None:
    got = await _stream(vllm, "0.4.3", STREAM, script=HELLO)
    assert [c.get("usage") for c in got[:-1]] == [None] * (len(got) - 1)
    assert got[-1]["choices"][0]["finish_reason"] == "stop"
    assert got[-1]["usage"]["completion_tokens"] == 4


async def test_0_6_3_continuous_usage_counts_each_chunk_alone(vllm: Any) -> None:
    # include_usage alone implies continuous_usage_stats in 0.6.3 (protocol.py:128-130),
    # and each chunk counts only its own tokens (serving_chat.py:518-531).
    got = await _stream(
        vllm, "0.6.3", {**STREAM, "stream_options": {"include_usage": True}}, script=HELLO
    )
    per_chunk = [c["usage"]["completion_tokens"] for c in got[:-1]]
    assert per_chunk == [0, 1, 1, 1, 1]
    assert got[-1]["usage"]["completion_tokens"] == 4


async def test_0_9_continuous_usage_is_cumulative(vllm: Any) -> None:
    got = await _stream(
        vllm,
        "0.9.2",
        {**STREAM, "stream_options": {"include_usage": True, "continuous_usage_stats": True}},
        script=HELLO,
    )
    assert [c["usage"]["completion_tokens"] for c in got] == [0, 1, 2, 3, 4, 4]


PARIS = Script(
    rules=(
        Rule(
            reply=Reply(
                tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Paris"}),)
            )
        ),
    )
)


async def test_auto_tool_call_streams_a_header_then_argument_fragments(vllm: Any) -> None:
    got = await _stream(
        vllm,
        "0.9.2",
        {**STREAM, "tools": TOOLS},
        script=PARIS,
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
    )
    deltas = [c["choices"][0]["delta"] for c in got]
    header = deltas[1]["tool_calls"][0]
    assert list(header) == ["id", "type", "index", "function"]
    assert header["id"].startswith("chatcmpl-tool-") and len(header["id"]) == 14 + 32
    assert header["function"] == {"name": "get_weather"}
    fragments = [d["tool_calls"][0] for d in deltas[2:-1]]
    assert all(set(f) == {"index", "function"} for f in fragments)
    # the hermes parser's own fragments, closing braces trimmed (hermes_stream, recorded)
    assert [f["function"]["arguments"] for f in fragments] == [
        '{"city": "',
        "Paris",
        '"',
        "",
        "",
        "\n",
    ]
    # the EOS step's own chunk carries the finish (0.9.2 serving_chat.py:827-895, recorded)
    assert deltas[-1] == {"content": ""}
    assert got[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_0_5_named_tool_repeats_the_name_without_index(vllm: Any) -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    got = await _stream(
        vllm, "0.5.3", {**STREAM, "tools": TOOLS, "tool_choice": choice}, script=PARIS
    )
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in got
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert all(list(call) == ["function"] for call in calls)
    assert all(call["function"]["name"] == "get_weather" for call in calls)
    assert got[-1]["choices"][0]["finish_reason"] == "stop"  # named: the engine's reason


@pytest.mark.parametrize("version", ["0.6.3", "0.8.5"])
async def test_named_tool_name_every_delta_wraps_the_eos_step_too(vllm: Any, version: str) -> None:
    """named_tool_stream name_every_delta: the EOS step's empty text is one more named delta
    (0.8.5 serving_chat.py:637-641, recorded 0.6.3-0.8.5), the finish on it."""
    choice = {"type": "function", "function": {"name": "get_weather"}}
    got = await _stream(
        vllm,
        version,
        {**STREAM, "tools": TOOLS, "tool_choice": choice},
        script=PARIS,
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
    )
    last = got[-1]["choices"][0]
    assert last["delta"] == {
        "tool_calls": [{"index": 0, "function": {"name": "get_weather", "arguments": ""}}]
    }
    assert last["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("0.9.2", ["reasoning_content"]),
        ("0.12.0", ["reasoning", "reasoning_content"]),
    ],
)
async def test_reasoning_field_by_release(vllm: Any, version: str, keys: list[str]) -> None:
    script = Script(rules=(Rule(reply=Reply(text="Hi", reasoning="Think")),))
    got = await _stream(vllm, version, STREAM, script=script, reasoning_parser="deepseek_r1")
    delta = got[1]["choices"][0]["delta"]
    assert list(delta) == keys and all(delta[k] == "Think" for k in keys)


async def test_without_a_parser_think_stays_inline_and_splits(vllm: Any) -> None:
    script = Script(rules=(Rule(reply=Reply(text="Hi", reasoning="Think")),))
    got = await _stream(vllm, "0.12.0", STREAM, script=script)
    pieces = [c["choices"][0]["delta"].get("content") for c in got[1:]]
    assert "".join(p or "" for p in pieces) == "<think>Think</think>Hi"
    assert "<" in pieces and "think" in pieces  # the tag arrives in several chunks
    assert all("reasoning" not in c["choices"][0]["delta"] for c in got)


async def test_n_choices_advance_together(vllm: Any) -> None:
    got = await _stream(vllm, "0.9.2", {**STREAM, "n": 2}, script=HELLO)
    indexes = [c["choices"][0]["index"] for c in got]
    assert indexes[:4] == [0, 1, 0, 1]
    assert sum(1 for c in got if c["choices"][0]["finish_reason"] == "stop") == 2


@pytest.mark.parametrize(
    ("version", "deltas"),
    [("0.9.2", ["He", "llo"]), ("0.10.2", ["He", "llo"]), ("0.12.0", ["He", "llo"])],
)
async def test_a_stream_holds_back_what_could_begin_a_stop_string(
    vllm: Any, version: str, deltas: list[str]
) -> None:
    # 0.9.2, 0.10.2, 0.12.0 (the reference harness): the detokenizer keeps len(" wor") - 1 back
    # until the end, so "Hello" shows as "He" and the finish chunk releases "llo".
    script = Script(rules=(Rule(reply=Reply(text="Hello world")),))
    got = await _stream(vllm, version, {**STREAM, "stop": [" wor"]}, script=script)
    assert [c["choices"][0]["delta"].get("content") for c in got[1:]] == deltas
    assert (got[-1]["choices"][0]["finish_reason"], got[-1]["choices"][0]["stop_reason"]) == (
        "stop",
        " wor",
    )


def _named_stream_on_a_live_server(version: str, *, auto_tools: bool) -> tuple[bytes, bool]:
    """The raw body of a streamed named tool_choice, and whether the server dropped it."""
    config = vllm_config(version, script=PARIS)
    if auto_tools:
        config = vllm_config(
            version, script=PARIS, enable_auto_tool_choice=True, tool_call_parser="hermes"
        )
    choice = {"type": "function", "function": {"name": "get_weather"}}
    body = {**STREAM, "tools": TOOLS, "tool_choice": choice}
    received = b""
    with (
        live(create_vllm_app(config)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        client.stream("POST", "/v1/chat/completions", json=body) as response,
    ):
        try:
            for piece in response.iter_raw():
                received += piece
        except httpx.RemoteProtocolError:
            return received, True
    return received, False


def test_named_tool_stream_finish_crash_drops_0_6_2_before_the_finish_chunk() -> None:
    """named_tool_stream_finish_crash: 0.6.0-0.6.2 with auto tool parsing on raise at the named
    stream's finish step (0.6.2 serving_chat.py:507-519, recorded 0.6.2): every named delta
    goes out, then the socket drops, with no finish chunk and no [DONE]; 0.6.3 finishes."""
    assert resolve_vllm_profile("0.6.2", None)[0].knobs.named_tool_stream_finish_crash
    assert not resolve_vllm_profile("0.6.3", None)[0].knobs.named_tool_stream_finish_crash
    cut, dropped = _named_stream_on_a_live_server("0.6.2", auto_tools=True)
    assert dropped and b"[DONE]" not in cut
    sent = chunks(cut.decode())
    assert all(c["choices"][0]["finish_reason"] is None for c in sent)
    whole, whole_dropped = _named_stream_on_a_live_server("0.6.3", auto_tools=True)
    assert not whole_dropped and whole.endswith(b"data: [DONE]\n\n")
    finished = chunks(whole.decode())
    assert [c["choices"][0]["delta"] for c in sent] == [
        c["choices"][0]["delta"] for c in finished[: len(sent)]
    ]
    assert len(finished) == len(sent) + 1  # only the finish chunk is missing
    # without the auto tool parser there is nothing to crash on
    plain, plain_dropped = _named_stream_on_a_live_server("0.6.2", auto_tools=False)
    assert not plain_dropped and plain.endswith(b"data: [DONE]\n\n")

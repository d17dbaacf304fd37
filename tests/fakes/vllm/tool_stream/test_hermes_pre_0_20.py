"""hermes_stream: the pre-0.20 hermes parser's own argument fragments.

The single-call streams are the ones recorded from the releases' own apps
(recordings/vllm/vllm-X.jsonl, replayed by tests/reference/test_vllm_cassettes.py); these tests
pin what each variant does where the releases' files differ, and what the serving loop makes
of the parser's silent steps."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.model.tokens import tokenize
from fakes.profiles import HermesStream, resolve_vllm_profile
from fakes.vllm.tool_stream.hermes_pre_0_20 import (
    END,
    START,
    HermesParser,
    extract_intermediate_diff,
    parsed_steps,
)
from tests.conftest import WEATHER_TOOLS, chunks


def _pieces(*calls: tuple[str, dict[str, Any]], content: str = "") -> list[str]:
    """The model's tokens as the reference harness scripts them, the EOS step ("") last."""
    out = tokenize(content)
    for position, (name, arguments) in enumerate(calls):
        if position:
            out += tokenize("\n")
        block = f'\n{{"name": {json.dumps(name)}, "arguments": {json.dumps(arguments)}}}\n'
        out += [START, *tokenize(block), END]
    return [*out, ""]


def _run(variant: HermesStream, pieces: list[str]) -> list[dict[str, Any]]:
    steps = parsed_steps(variant, pieces, pieces, iter(["call-0", "call-1"]), finishes=True)
    assert sum(1 + step.skipped for step in steps) == len(pieces)  # every token is counted
    return [step.delta for step in steps]


def _arguments(deltas: list[dict[str, Any]], index: int = 0) -> list[str]:
    return [
        call["function"]["arguments"]
        for delta in deltas
        for call in delta.get("tool_calls") or []
        if call["index"] == index and "arguments" in call.get("function", {})
    ]


PARIS = ("get_weather", {"city": "Paris"})


@pytest.mark.parametrize(
    ("version", "variant"),
    [
        ("0.6.0", HermesStream.JSON_DIFF_INITIAL),
        ("0.6.1", HermesStream.JSON_DIFF),
        ("0.6.3", HermesStream.JSON_DIFF),
        ("0.8.5", HermesStream.DELTA_TEXT),
        ("0.10.2", HermesStream.DELTA_TEXT),
        ("0.11.0", HermesStream.RAW_ARGUMENTS),
        ("0.18.0", HermesStream.RAW_ARGUMENTS),
        ("0.18.1", HermesStream.RAW_ARGUMENTS),
        ("0.19.0", HermesStream.REWRITTEN),  # the rewrite came in 0.19 (recorded 0.19.1)
        ("0.20.0", HermesStream.REWRITTEN),
    ],
)
def test_hermes_stream_per_release(version: str, variant: HermesStream) -> None:
    assert resolve_vllm_profile(version, None)[0].knobs.hermes_stream is variant


@pytest.mark.parametrize(
    ("variant", "fragments"),
    [
        # 0.6.3: json.dumps diffs; the end tag sends what the dump has beyond what was streamed
        (HermesStream.JSON_DIFF, ['{"city": "', "Paris", "", "", "", "", '"}']),
        # 0.8.5: the delta's text, every closing brace trimmed
        (HermesStream.DELTA_TEXT, ['{"city": "', "Paris", '"', "", "", "\n"]),
        # 0.11-0.18: the inner brace kept until the block is complete JSON
        (HermesStream.RAW_ARGUMENTS, ['{"city": "', "Paris", '"', "}", "", "\n"]),
    ],
)
def test_one_call_streams_the_parsers_own_fragments(
    variant: HermesStream, fragments: list[str]
) -> None:
    deltas = _run(variant, _pieces(PARIS))
    header = {"id": "call-0", "type": "function", "index": 0, "function": {"name": "get_weather"}}
    assert deltas[0] == {"tool_calls": [header]}
    assert _arguments(deltas) == fragments
    assert deltas[-1] == {"content": ""}  # the EOS step: the text case, nothing parsed


def test_json_diff_initial_opens_with_the_id_and_sends_the_name_alone() -> None:
    # 0.6.0: an initial delta of id, type and index on the start tag's own step, the name in a
    # delta of its own once whole, then the arguments exactly as 0.6.1-0.6.4 stream them
    pieces = _pieces(PARIS)
    steps = parsed_steps(
        HermesStream.JSON_DIFF_INITIAL, pieces, pieces, iter(["call-0"]), finishes=True
    )
    deltas = [step.delta for step in steps]
    assert deltas[0] == {"tool_calls": [{"id": "call-0", "type": "function", "index": 0}]}
    assert list(deltas[0]["tool_calls"][0]) == ["id", "type", "index"]  # the wire's key order
    assert steps[0].skipped == 0  # sent on the <tool_call> step itself
    assert deltas[1] == {"tool_calls": [{"index": 0, "function": {"name": "get_weather"}}]}
    json_diff = _run(HermesStream.JSON_DIFF, pieces)
    assert _arguments(deltas) == _arguments(json_diff)
    assert deltas[2:] == json_diff[1:]
    second = _run(HermesStream.JSON_DIFF_INITIAL, _pieces(PARIS, ("f", {"a": 1})))
    initials = [
        d["tool_calls"][0] for d in second if d.get("tool_calls") and "id" in d["tool_calls"][0]
    ]
    assert initials == [
        {"id": "call-0", "type": "function", "index": 0},
        {"id": "call-1", "type": "function", "index": 1},
    ]


def test_the_header_waits_for_the_whole_name() -> None:
    pieces = _pieces(PARIS)
    steps = parsed_steps(HermesStream.RAW_ARGUMENTS, pieces, pieces, iter(["x"]), finishes=True)
    # <tool_call>, then \n{ " name " : ␣" get_weather: silent until the closing quote
    assert steps[0].skipped == pieces.index('"', pieces.index("get_weather"))
    # then "," ␣" arguments " : ␣{ " city " : silent until the first string value opens
    assert steps[1].skipped == 10


def test_content_before_and_between_calls_is_the_text_case() -> None:
    second = ("f", {"a": 1})
    deltas = _run(HermesStream.RAW_ARGUMENTS, _pieces(PARIS, second, content="Let me see."))
    assert deltas[:4] == [
        {"content": "Let"},
        {"content": " me"},
        {"content": " see"},
        {"content": "."},
    ]
    # the newline token between the blocks is content: no tool call is open
    assert {"content": "\n"} in deltas
    headers = [
        d["tool_calls"][0] for d in deltas if d.get("tool_calls") and "id" in d["tool_calls"][0]
    ]
    assert [h["id"] for h in headers] == ["call-0", "call-1"]
    assert [h["index"] for h in headers] == [0, 1]
    assert [h["function"] for h in headers] == [{"name": "get_weather"}, {"name": "f"}]
    assert "".join(_arguments(deltas, 1)) == '{"a": 1}\n'


def test_json_diff_closes_a_call_with_what_was_not_streamed() -> None:
    # 0.6.3 replaces what was streamed in json.dumps of the arguments: a nested value streams
    # as diffs of the partial dumps, and the end tag adds the unmatched rest
    deltas = _run(HermesStream.JSON_DIFF, _pieces(("f", {"a": [1, 2]})))
    fragments = _arguments(deltas)
    # json.dumps of the partial {"a": []} cut after the delta's own text " ["
    assert fragments[0] == '{"a": ['

    assert "1" in fragments and ", 2" in fragments
    assert fragments[-1] == json.dumps({"a": [1, 2]}).replace("".join(fragments[:-1]), "")


def test_extract_intermediate_diff() -> None:
    # vLLM 0.6.3 tool_parsers/utils.py's own docstring example
    assert extract_intermediate_diff('{"fruit": "apple"}', '{"fruit": "ap"}') == "ple"


def test_a_broken_block_sends_nothing_instead_of_failing() -> None:
    parser = HermesParser(HermesStream.RAW_ARGUMENTS, iter(["x"]))
    first = parser.extract("", START, START, [], [START], [START])
    assert first is None  # a new call whose one token is the tag: nothing to parse yet
    text = START + "\n{]"
    assert parser.extract(START, text, "\n{]", [START], [START, "\n{]"], ["\n{]"]) is None


CALL = Script(
    rules=(
        Rule(
            reply=Reply(
                tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Paris"}),)
            )
        ),
    )
)
AUTO = {
    "model": "fake-model",
    "messages": [{"role": "user", "content": "weather?"}],
    "tools": WEATHER_TOOLS,
    "tool_choice": "auto",
    "stream": True,
    "stream_options": {"include_usage": True, "continuous_usage_stats": True},
}


async def test_the_chat_stream_counts_the_parsers_silent_steps(vllm: Any) -> None:
    async with vllm(
        "0.12.0", script=CALL, tool_call_parser="hermes", enable_auto_tool_choice=True
    ) as client:
        answer = await client.post("/v1/chat/completions", json=AUTO)
    got = chunks(answer.text)
    deltas = [c["choices"][0]["delta"] for c in got if c["choices"]]
    assert _arguments(deltas[1:]) == ['{"city": "', "Paris", '"', "}", "", "\n"]
    # cumulative usage on each chunk counts every engine step, the silent ones too: the
    # header chunk comes after 9 tokens (<tool_call> ... get_weather ")
    header_usage = got[1]["usage"]["completion_tokens"]
    assert header_usage == _pieces(PARIS).index("get_weather") + 2
    assert got[-1]["usage"]["completion_tokens"] == len(_pieces(PARIS))
    finish = [c for c in got if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish[0]["choices"][0]["finish_reason"] == "tool_calls"

from __future__ import annotations

from fakes.model.script import Reply, Rule, Script, ScriptPlayer, ToolCallReply
from fakes.profiles import resolve_vllm_profile
from reference.vllm_harness._generation import (
    Choice,
    engine_steps,
    generation,
    hermes_structural_tag,
    pieces,
    visible,
)

KNOBS = resolve_vllm_profile("0.12.0", None)[0].knobs
CHAT = "/v1/chat/completions"


def test_tags_stay_single_tokens() -> None:
    assert pieces("<think>a b</think>Hi") == ["<think>", "a", " b", "</think>", "Hi"]


def test_eos_ends_a_reply_with_empty_text() -> None:
    steps = engine_steps(Choice(["Hello", " world"]), max_tokens=None, stop=[])
    assert [(s.piece, s.text, s.finish_reason) for s in steps] == [
        ("Hello", "Hello", None),
        (" world", "Hello world", None),
        (None, "Hello world", "stop"),
    ]


def test_max_tokens_stops_on_the_last_token_without_eos() -> None:
    steps = engine_steps(Choice(["a", " b", " c"]), max_tokens=2, stop=[])
    assert [(s.piece, s.finish_reason) for s in steps] == [("a", None), (" b", "length")]


def test_a_stop_string_cuts_the_text_and_counts_its_token() -> None:
    steps = engine_steps(Choice(["Hello", " wor", "ld", "!"]), max_tokens=None, stop=["world"])
    assert steps[-1].text == "Hello "
    assert (steps[-1].finish_reason, steps[-1].stop_reason) == ("stop", "world")
    assert len(steps) == 3
    # the detokenizer holds back len("world") - 1 characters until the end
    assert visible(steps, ["world"]) == ["H", "ello", " "]


def test_hermes_tool_call_and_reasoning_as_model_tokens() -> None:
    script = Script(
        rules=(Rule(reply=Reply(reasoning="Hm.", tool_calls=(ToolCallReply(name="f"),))),)
    )
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": "auto",
    }
    planned = generation(
        ScriptPlayer(script), KNOBS, path=CHAT, body=body, reasoning_parser=True, auto_tools=True
    )
    text = "".join(planned.choices[0].pieces)
    assert text == '<think>Hm.</think><tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>'
    assert planned.prompt_tokens == 5


class _Constraint:
    def __init__(self, structural_tag: str | None = None, json: object = None) -> None:
        self.structural_tag = structural_tag
        self.json = json


class _Params:
    def __init__(self, constraint: _Constraint | None) -> None:
        self.structured_outputs = constraint


def test_the_release_s_own_constraint_decides_the_hermes_tag() -> None:
    tag = '{"format": {"tags": [{"begin": "<tool_call>\\n{\\"name\\": \\"f\\", "}]}}'
    assert hermes_structural_tag(_Params(_Constraint(structural_tag=tag)))
    assert not hermes_structural_tag(_Params(_Constraint(json={"type": "object"})))
    assert not hermes_structural_tag(_Params(None))


def test_a_forced_choice_under_hermes_structural_tag_is_a_tool_call_block() -> None:
    calls = (ToolCallReply(name="f", arguments={"a": 1}), ToolCallReply(name="f"))
    script = Script(rules=(Rule(reply=Reply(tool_calls=calls)),))
    tools = [{"type": "function", "function": {"name": "f"}}]
    named = {
        "messages": [{"role": "user", "content": "hi"}],
        "tools": tools,
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }

    def text(body: dict[str, object], tag: bool) -> str:
        planned = generation(
            ScriptPlayer(script),
            KNOBS,
            path=CHAT,
            body=body,
            reasoning_parser=False,
            auto_tools=True,
            hermes_tag=tag,
        )
        return "".join(planned.choices[0].pieces)

    block = '<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call>'
    assert text(named, True) == block  # stop_after_first: one block
    assert text(named, False) == '{"a": 1}'  # guided JSON: the bare arguments
    required = {**named, "tool_choice": "required"}
    assert (
        text(required, True) == block + '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>'
    )
    assert text(required, False).startswith('[{"name": "f", "parameters": ')

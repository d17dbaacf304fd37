"""What one request will generate: tokens, tool calls, finish reason and usage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.model.script import DEFAULT_REASONING, Reply, ScriptPlayer, arguments_for


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the parser returns it (json.dumps: spaced)


@dataclass(frozen=True)
class Plan:
    reasoning: list[str]  # reasoning tokens
    content: list[str]  # content tokens
    tool_calls: list[ToolCall]
    finish_reason: str
    stop_reason: str | None
    prompt_tokens: int
    named_tool: bool = False  # a named tool_choice: guided arguments, no parser
    named_parsed: bool = False  # ... written as the tool parser's block and parsed back (0.24)
    parsed_tools: bool = False  # the tool calls are read back by the tool parser (auto, 0.24 named)
    required: bool = False  # tool_choice "required" answered with tool calls
    required_list: bool = False  # ... as the guided JSON list, read back as such (before 0.24)
    inline_reasoning: bool = False  # no reasoning parser: <think> stays in content
    parsed_reasoning: bool = False  # a reasoning parser runs (it also counts reasoning tokens)
    # generated tokens no delta shows: the <think> tags a reasoning parser consumes, the
    # hermes <tool_call> wrapper, and the EOS or stop-string token the engine stopped on
    unseen_tokens: int = 0
    hold_back: int = 0  # characters a stream holds back: len(longest stop string) - 1

    @property
    def completion_tokens(self) -> int:
        args = sum(len(tokens.tokenize(call.arguments)) for call in self.tool_calls)
        return len(self.reasoning) + len(self.content) + args + self.unseen_tokens


@dataclass(frozen=True)
class Limits:
    max_tokens: int | None
    max_model_len: int
    prompt_tokens: int
    stop: list[str]


def _arguments(value: dict[str, Any] | str) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def plan_reply(
    reply: Reply | None,
    player: ScriptPlayer,
    request: dict[str, Any],
    limits: Limits,
    *,
    tool_choice: Any,
    tools_allowed: bool,
    reasoning_parser: bool,
    new_tool_id: Any,
    named_parsed: bool = False,
) -> Plan:
    """Turn a scripted (or default) reply into tokens under the request's limits.
    ``named_parsed``: a named or "required" tool_choice is written as the tool parser's block
    (0.24+)."""
    tools = request.get("tools") or []
    text = reply.text if reply and reply.text is not None else None
    reasoning = reply.reasoning if reply else None
    if reply is None and reasoning_parser:
        reasoning = DEFAULT_REASONING
    calls: list[ToolCall] = []
    named = isinstance(tool_choice, dict)
    if tools and tools_allowed and tool_choice not in (None, "none"):
        wanted = tool_choice["function"]["name"] if named else None
        scripted = list(reply.tool_calls) if reply else []
        if scripted:
            calls = [
                ToolCall(new_tool_id(), c.name, _arguments(c.arguments))
                for c in scripted
                if wanted is None or c.name == wanted
            ]
        if not calls and (reply is None or named or tool_choice == "required"):
            function = next(
                (t["function"] for t in tools if wanted is None or t["function"]["name"] == wanted),
                None,
            )
            if function is not None:
                calls = [
                    ToolCall(
                        new_tool_id(),
                        function["name"],
                        json.dumps(arguments_for(function.get("parameters"))),
                    )
                ]
    if text is None:
        text = "" if calls else player.default_text(request)
    inline = bool(reasoning) and not reasoning_parser
    if inline:
        text = f"<think>{reasoning}</think>{text}"
        reasoning = None
    stop_reason = None
    # "required" as the guided JSON list: its finish reason is the release's (wire/chat.py)
    guided_list = tool_choice == "required" and not named_parsed
    finish = "tool_calls" if calls and not named and not guided_list else "stop"
    for stop in limits.stop:
        if stop and stop in text:
            text = text[: text.index(stop)]
            stop_reason, finish, calls = stop, "stop", []
            break
    reasoning_tokens = tokens.tokenize(reasoning or "")
    content_tokens = tokens.tokenize(text)
    budget = limits.max_tokens
    if budget is None:
        budget = max(limits.max_model_len - limits.prompt_tokens, 0)
    needed = (
        len(reasoning_tokens)
        + len(content_tokens)
        + sum(len(tokens.tokenize(c.arguments)) for c in calls)
    )
    if needed > budget:
        reasoning_tokens = reasoning_tokens[:budget]
        content_tokens = content_tokens[: max(budget - len(reasoning_tokens), 0)]
        calls, finish, stop_reason = [], "length", None
    if reply and reply.finish_reason:
        finish = reply.finish_reason
    if named and named_parsed:  # the structural tag stops after the first block
        calls = calls[:1]
    unseen = _unseen_tokens(
        reasoning_tokens,
        calls,
        finish,
        named=named and not named_parsed,
        required_list=guided_list,
        required_tag=tool_choice == "required" and named_parsed,
    )
    return Plan(
        reasoning_tokens,
        content_tokens,
        calls,
        finish,
        stop_reason,
        limits.prompt_tokens,
        named_tool=named,
        named_parsed=named and named_parsed,
        parsed_tools=bool(calls) and (named_parsed if named else not guided_list),
        required=bool(calls) and tool_choice == "required",
        required_list=bool(calls) and guided_list,
        inline_reasoning=inline,
        parsed_reasoning=reasoning_parser,
        unseen_tokens=unseen,
        hold_back=max((len(s) for s in limits.stop if s), default=1) - 1,
    )


def _unseen_tokens(
    reasoning: list[str],
    calls: list[ToolCall],
    finish: str,
    *,
    named: bool,
    required_list: bool,
    required_tag: bool,
) -> int:
    """What the engine generated and counts (vLLM 0.12.0 and 0.34.0, proven by the reference
    harness: usage counts every generated token) but no delta carries."""
    unseen = 2 if reasoning else 0  # <think> and </think>, one added token each
    if calls and not named:
        wrapped = sum(len(tokens.tokenize(c.arguments)) for c in calls)
        if required_list:  # guided JSON: [{"name": ..., "parameters": ...}]
            unseen += len(tokens.tokenize(required_list_text(calls))) - wrapped
        else:  # hermes blocks, one newline token between them ("auto"; the structural tag of
            # a "required" choice joins them with "": 0.34.0 hermes structural tag, separator)
            blocks = sum(len(tokens.tokenize(hermes_block(c))) + 2 for c in calls)
            separators = 0 if required_tag else len(calls) - 1
            unseen += blocks + separators - wrapped
    if finish != "length":
        unseen += 1  # the EOS token (or the token that completed a stop string)
    return unseen


def hermes_block(call: ToolCall) -> str:
    """What a hermes-format model writes between <tool_call> and </tool_call>."""
    return f'\n{{"name": {json.dumps(call.name)}, "arguments": {call.arguments}}}\n'


def required_list_text(calls: list[ToolCall]) -> str:
    """tool_choice "required": vLLM guides the output to a JSON list of name/parameters."""
    items = (f'{{"name": {json.dumps(c.name)}, "parameters": {c.arguments}}}' for c in calls)
    return "[" + ", ".join(items) + "]"

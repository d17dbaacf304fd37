"""What one request generates, as the engine's steps: the pieces SGLang's tokenizer manager
hands the serving layer, and the finish reason the scheduler reports."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.model.script import Reply, ScriptPlayer, arguments_for


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # JSON text as the model writes it (json.dumps: spaced)


@dataclass(frozen=True)
class Plan:
    reasoning: list[str]  # reasoning tokens (between <think> and </think>)
    content: list[str]  # answer tokens
    tool_calls: list[ToolCall]
    finish: str  # the scheduler's finish type: "stop" | "length"
    matched: int | str | None  # matched_stop: the EOS id, a stop string, or None
    prompt_tokens: int
    reasoning_parsed: bool  # a --reasoning-parser splits <think> off

    @property
    def pieces(self) -> list[str]:
        """The generated text, piece by piece, as the detokenizer hands it out."""
        out: list[str] = []
        if self.reasoning:
            out += ["<think>", *self.reasoning, "</think>"]
        out += self.content
        for call in self.tool_calls:
            out += ["<tool_call>", *tokens.tokenize(tool_block(call)), "</tool_call>"]
        return out

    @property
    def completion_tokens(self) -> int:
        # every generated token counts, the EOS one included (the scheduler's counter)
        return len(self.pieces) + (1 if self.finish == "stop" else 0)


def tool_block(call: ToolCall) -> str:
    """What a Qwen2.5 (hermes-style) model writes between <tool_call> and </tool_call>."""
    return f'\n{{"name": {json.dumps(call.name)}, "arguments": {call.arguments}}}\n'


def _arguments(value: dict[str, Any] | str) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tool_calls(reply: Reply | None, request: Mapping[str, Any]) -> list[ToolCall]:
    tools = request.get("tools") or []
    choice = request.get("tool_choice")
    if not tools or choice == "none":
        return []
    if reply is not None and reply.tool_calls:
        return [ToolCall(c.name, _arguments(c.arguments)) for c in reply.tool_calls]
    if reply is None and isinstance(tools, list) and tools:
        function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
        name = function.get("name")
        if isinstance(name, str):
            return [ToolCall(name, json.dumps(arguments_for(function.get("parameters"))))]
    return []


def plan_reply(
    reply: Reply | None,
    player: ScriptPlayer,
    request: Mapping[str, Any],
    *,
    eos_token_id: int,
    tool_parser: bool,
    reasoning_parser: bool,
) -> Plan:
    calls = _tool_calls(reply, request) if tool_parser else []
    text = reply.text if reply is not None and reply.text is not None else None
    if text is None:
        text = "" if calls else player.default_text(request)
    reasoning = (reply.reasoning if reply is not None else None) or ""
    if reasoning and not reasoning_parser:
        text = f"<think>{reasoning}</think>{text}"  # no parser: the tags stay in the answer
        reasoning = ""
    finish = "stop"
    matched: int | str | None = eos_token_id
    stops = request.get("stop")
    for stop in [stops] if isinstance(stops, str) else stops or []:
        if isinstance(stop, str) and stop and stop in text:
            text, matched, calls = text[: text.index(stop)], stop, []
            break
    reasoning_tokens = tokens.tokenize(reasoning)
    content_tokens = tokens.tokenize(text)
    budget = request.get("max_completion_tokens") or request.get("max_tokens")
    plan = Plan(
        reasoning_tokens,
        content_tokens,
        calls,
        finish,
        matched,
        tokens.prompt_tokens(request.get("messages") or []),
        reasoning_parser,
    )
    if isinstance(budget, int) and not isinstance(budget, bool) and len(plan.pieces) > budget:
        pieces = plan.pieces[:budget]  # cut mid-way: no tool call survives whole
        plan = Plan([], pieces, [], "length", None, plan.prompt_tokens, False)
    if reply is not None and reply.finish_reason:
        plan = Plan(
            plan.reasoning,
            plan.content,
            plan.tool_calls,
            reply.finish_reason,
            plan.matched if reply.finish_reason == "stop" else None,
            plan.prompt_tokens,
            plan.reasoning_parsed,
        )
    return plan

"""What one llama-server request generates: token pieces, tool calls, counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.model.script import Reply, ScriptPlayer, arguments_for


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Plan:
    reasoning: list[str]  # pieces that go to reasoning_content
    content: list[str]  # pieces that go to content (or text, on /v1/completions)
    tool_calls: list[ToolCall]
    finish_reason: str  # "stop", "length" or "tool_calls"
    prompt_tokens: int
    # the EOS token a natural stop samples: n_decoded counts it, no delta shows it
    eos: bool = True

    @property
    def completion_tokens(self) -> int:
        args = sum(tokens.count(call.arguments) + 1 for call in self.tool_calls)
        return len(self.reasoning) + len(self.content) + args + int(self.eos)


def prompt_tokens(request: dict[str, Any]) -> int:
    messages = request.get("messages")
    if isinstance(messages, list):
        return tokens.prompt_tokens(messages)
    prompt = request.get("prompt", "")
    return max(1, tokens.count(prompt if isinstance(prompt, str) else json.dumps(prompt)))


def plan_reply(
    reply: Reply | None,
    player: ScriptPlayer,
    request: dict[str, Any],
    *,
    tools_on: bool,
    split_reasoning: bool,
    new_id: Callable[[], str],
) -> Plan:
    """A scripted (or default) reply cut into pieces under ``max_tokens`` / ``n_predict``."""
    calls: list[ToolCall] = []
    tools = request.get("tools") or []
    if tools_on and tools and request.get("tool_choice") != "none":
        scripted = list(reply.tool_calls) if reply else []
        calls = [
            ToolCall(new_id(), c.name, c.arguments if isinstance(c.arguments, str) else _json(c))
            for c in scripted
        ]
        if not calls and reply is None and isinstance(tools[0], dict):
            function = tools[0].get("function") or {}
            schema = arguments_for(function.get("parameters"))
            calls = [ToolCall(new_id(), str(function.get("name", "tool")), json.dumps(schema))]
    text = reply.text if reply and reply.text is not None else None
    if text is None:
        text = "" if calls else player.default_text(request)
    reasoning = (reply.reasoning if reply else None) or ""
    if reasoning and not split_reasoning:
        text, reasoning = f"<think>{reasoning}</think>{text}", ""
    content, stopped = _stop_at(tokens.tokenize(text), request.get("stop"))
    if stopped:
        calls = []  # the stop string's token ends generation where the EOS token would
    thought = tokens.tokenize(reasoning)
    limit = _limit(request)
    finish = "tool_calls" if calls else "stop"
    eos = True
    if limit is not None and len(thought) + len(content) > limit:
        keep = max(limit - len(thought), 0)
        thought, content = thought[:limit], content[:keep]
        calls, finish, eos = [], "length", False
    prompt = prompt_tokens(request)
    if reply is not None and reply.finish_reason is not None:
        finish = reply.finish_reason
        eos = eos and finish != "length"
    return Plan(thought, content, calls, finish, prompt, eos)


def _stop_at(pieces: list[str], stop: object) -> tuple[list[str], bool]:
    """Cut at the first stop string: the pieces before the one that completes it are sent;
    that piece is generated (counted, where the EOS token would be) but not shown."""
    words = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    words = [w for w in words if isinstance(w, str) and w]
    text = ""
    for position, piece in enumerate(pieces):
        text += piece
        if any(word in text for word in words):
            return pieces[:position], True
    return pieces, False


def _json(call: Any) -> str:
    return json.dumps(call.arguments, separators=(",", ":"))


def _limit(request: dict[str, Any]) -> int | None:
    for key in ("n_predict", "max_completion_tokens", "max_tokens"):
        value = request.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None

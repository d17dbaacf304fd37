"""What one Ollama request generates: text pieces, whole tool calls, done reason, counts."""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.model.script import Reply, ScriptPlayer, arguments_for


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def arguments_json(self) -> str:
        # the openai layer json.Marshals the parsed arguments: compact
        return json.dumps(self.arguments, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Generation:
    pieces: list[str]  # content tokens, as the runner streams them
    tool_calls: list[ToolCall]
    done_reason: str  # "stop" | "length"
    prompt_eval_count: int
    eval_count: int

    @property
    def text(self) -> str:
        return "".join(self.pieces)


_ID_LETTERS = string.ascii_lowercase + string.digits


def tool_call_id(rng: random.Random) -> str:
    """server/routes.go toolCallId (openai/openai.go before 0.12.10): call_ + 8 of [a-z0-9]."""
    return "call_" + "".join(rng.choice(_ID_LETTERS) for _ in range(8))


def _arguments(value: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    parsed = json.loads(value) if value.strip() else {}
    return parsed if isinstance(parsed, dict) else {}


def call_text(call: ToolCall) -> str:
    """The model's own text for a call, as a tool template asks for it (JSON)."""
    return json.dumps({"name": call.name, "arguments": call.arguments})


def generate(
    reply: Reply | None,
    player: ScriptPlayer,
    request: dict[str, Any],
    *,
    num_predict: int | None,
    prompt_eval_count: int,
    rng: random.Random,
) -> Generation:
    """A scripted (or default) reply under num_predict (-1 or absent: no limit)."""
    tools = request.get("tools") or []
    calls: list[ToolCall] = []
    if tools:
        scripted = list(reply.tool_calls) if reply else []
        calls = [ToolCall(tool_call_id(rng), c.name, _arguments(c.arguments)) for c in scripted]
        if not calls and reply is None:
            function = tools[0].get("function") if isinstance(tools[0], dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                arguments = arguments_for(function.get("parameters"))
                calls = [ToolCall(tool_call_id(rng), function["name"], arguments)]
    text = reply.text if reply and reply.text is not None else None
    if text is None:
        text = "" if calls else player.default_text(request)
    # the model writes its calls as text; the server parses them out of it
    generated = text + "".join(call_text(c) for c in calls)
    pieces = tokens.tokenize(generated)
    done_reason = "stop"
    if num_predict is not None and num_predict >= 0 and len(pieces) > num_predict:
        pieces, calls, done_reason = pieces[:num_predict], [], "length"
        text = "".join(pieces)
    elif calls:
        pieces = tokens.tokenize(text)
    eval_count = len(tokens.tokenize(generated)) if done_reason == "stop" else len(pieces)
    if reply and reply.finish_reason:
        done_reason = reply.finish_reason
    return Generation(pieces, calls, done_reason, prompt_eval_count, eval_count)

"""What the scripted model generates for one request, as model tokens.

The fake decides WHAT is said (``fakes.vllm._plan.plan_reply`` with the same script player and
the same inputs as ``fakes/vllm/_routes.py``); this module writes it down the way a real model
would emit it for the chosen parsers: reasoning between ``<think>`` and ``</think>`` tokens
(deepseek_r1), tool calls as hermes ``<tool_call>`` blocks, a named tool_choice as the guided
JSON arguments, ``required`` as the guided JSON list (both as ``<tool_call>`` blocks when the
release constrains them with hermes' structural tag instead). The engine then stops the way
vLLM's does (EOS, ``max_tokens``, a stop string). Nothing here imports vLLM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.model.script import ScriptPlayer
from fakes.profiles import Knobs
from fakes.vllm._plan import Limits, Plan, hermes_block, plan_reply, required_list_text
from fakes.vllm.wire import messages as messages_wire

TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>")
_TAG_SPLIT = re.compile("(" + "|".join(re.escape(tag) for tag in TAGS) + ")")
UNBOUNDED = 1 << 40  # the engine, not the plan, applies max_tokens


class UnscriptableRequest(Exception):
    """The script answers this request with an error the fake makes up (not a model's)."""


@dataclass(frozen=True)
class Choice:
    pieces: list[str]  # one engine token each; a tag is a single added token
    scripted_finish: str | None = None  # a script's finish_reason override


@dataclass(frozen=True)
class Generation:
    choices: list[Choice]
    prompt_tokens: int  # what the fake counts (the engine reports the release's own ids)


def pieces(text: str) -> list[str]:
    """The fake's tokens of ``text``, with each tag kept whole (one added token)."""
    out: list[str] = []
    for part in _TAG_SPLIT.split(text):
        if part in TAGS:
            out.append(part)
        elif part:
            out.extend(tokens.tokenize(part))
    return out


def hermes_structural_tag(sampling_params: Any) -> bool:
    """Whether the release constrained this request with a structural tag whose tags are
    hermes' ``<tool_call>`` (its own choice, read off the sampling params it built)."""
    for name in ("structured_outputs", "guided_decoding"):  # 0.11+, before
        constraint = getattr(sampling_params, name, None)
        tag = getattr(constraint, "structural_tag", None)
        if tag is not None:
            return "<tool_call>" in (tag if isinstance(tag, str) else str(tag))
    return False


def _tool_pieces(plan: Plan, tool_choice: Any, hermes_tag: bool) -> list[str]:
    if not plan.tool_calls:
        return []
    forced = plan.named_tool or tool_choice == "required"
    if forced and hermes_tag:
        # the release constrained the output with hermes' structural tag (0.24+ hermes
        # structural_tag_model, VLLM_ENFORCE_STRICT_TOOL_CALLING on by default): the model
        # writes <tool_call> blocks, a named choice one (stop_after_first), "required" with
        # separator ""
        calls = plan.tool_calls[:1] if plan.named_tool else plan.tool_calls
        out: list[str] = []
        for call in calls:
            out += ["<tool_call>", *pieces(hermes_block(call)), "</tool_call>"]
        return out
    if plan.named_tool:  # guided decoding against the function's parameters
        return pieces(plan.tool_calls[0].arguments)
    if tool_choice == "required":  # guided decoding against a list of {name, parameters}
        return pieces(required_list_text(plan.tool_calls))
    out = []
    for position, call in enumerate(plan.tool_calls):
        if position:
            out.extend(pieces("\n"))
        out += ["<tool_call>", *pieces(hermes_block(call)), "</tool_call>"]
    return out


def model_pieces(plan: Plan, tool_choice: Any, hermes_tag: bool = False) -> list[str]:
    out: list[str] = []
    if plan.reasoning:
        out += ["<think>", *pieces("".join(plan.reasoning)), "</think>"]
    # no reasoning parser: the tags stay text, split as the fake's tokenizer splits them
    content = "".join(plan.content)
    out += tokens.tokenize(content) if plan.inline_reasoning else pieces(content)
    out += _tool_pieces(plan, tool_choice, hermes_tag)
    return out


def _plans(
    player: ScriptPlayer,
    request: dict[str, Any],
    scripted: Mapping[str, Any],
    path: str,
    prompt: int,
    *,
    tool_choice: Any,
    reasoning: bool,
    tools_allowed: bool,
    n: int,
    hermes_tag: bool = False,
) -> Generation:
    reply = player.choose(scripted, path)
    if reply is not None and reply.error is not None:
        raise UnscriptableRequest(reply.error.message)
    plans = [
        plan_reply(
            reply,
            player,
            request,
            Limits(UNBOUNDED, UNBOUNDED, prompt, []),
            tool_choice=tool_choice,
            tools_allowed=tools_allowed,
            reasoning_parser=reasoning,
            new_tool_id=lambda: "",
        )
        for _ in range(n)
    ]
    finish = reply.finish_reason if reply else None
    choices = [Choice(model_pieces(plan, tool_choice, hermes_tag), finish) for plan in plans]
    return Generation(choices, prompt)


def generation(
    player: ScriptPlayer,
    knobs: Knobs,
    *,
    path: str,
    body: dict[str, Any],
    reasoning_parser: bool,
    auto_tools: bool,
    hermes_tag: bool = False,
) -> Generation:
    """The fake's choices for this request (mirrors the handlers in fakes/vllm/_routes.py).
    ``hermes_tag``: the release's sampling params carry hermes' structural tag."""
    n = int(body.get("n") or 1)
    anthropic = path.endswith("/v1/messages")
    if anthropic:  # the Anthropic route runs the chat completion it translates to, as the fake
        body = messages_wire.chat_request(knobs, body)
    if anthropic or path.endswith("/chat/completions"):
        tool_choice = body.get("tool_choice")
        if tool_choice is None and body.get("tools") and knobs.tools_default_auto:
            tool_choice = "auto"
        return _plans(
            player,
            body,
            body,
            path,
            tokens.prompt_tokens(body.get("messages") or []),
            tool_choice=tool_choice,
            reasoning=reasoning_parser and bool(knobs.reasoning_keys),
            tools_allowed=knobs.tools,
            n=n,
            hermes_tag=hermes_tag,
        )
    if path.endswith("/completions"):
        prompt = body.get("prompt", "")
        text = prompt if isinstance(prompt, str) else " ".join(str(p) for p in prompt)
        return _plans(
            player,
            {"prompt": text},
            body,
            path,
            tokens.count(text),
            tool_choice=None,
            reasoning=False,
            tools_allowed=False,
            n=n,
        )
    if path.endswith("/responses"):
        given = body.get("input", "")
        items = given if isinstance(given, list) else [{"role": "user", "content": given}]
        instructions = body.get("instructions")
        messages = ([{"role": "system", "content": instructions}] if instructions else []) + items
        return _plans(
            player,
            {"messages": messages},
            {"messages": messages, "model": body.get("model")},
            path,
            tokens.prompt_tokens(messages),
            tool_choice=None,
            reasoning=reasoning_parser,
            tools_allowed=False,
            n=1,
        )
    raise UnscriptableRequest(f"no scripted generation for {path}")


@dataclass(frozen=True)
class Step:
    """One engine step of one choice: a generated token and the output text so far."""

    piece: str | None  # the model token; None for EOS
    text: str  # the cumulative output text (a stop string and what follows it cut)
    finish_reason: str | None = None
    stop_reason: str | None = None


def engine_steps(choice: Choice, *, max_tokens: int | None, stop: list[str]) -> list[Step]:
    """Stop as vLLM's engine does: on a stop string (text cut before it, the token counted),
    at ``max_tokens`` ("length"), else on the EOS token (empty text, "stop")."""
    limit = UNBOUNDED if max_tokens is None else max_tokens
    steps: list[Step] = []
    text = ""
    for piece in choice.pieces:
        if len(steps) == limit:
            break
        start = max(len(text) - max((len(s) for s in stop), default=0) + 1, 0)
        text += piece
        hits = [(text.find(s, start), s) for s in stop if s and text.find(s, start) >= 0]
        if hits:
            at, string = min(hits)
            steps.append(Step(piece, text[:at], "stop", string))
            return steps
        steps.append(Step(piece, text))
    last = steps[-1] if steps else None
    if choice.scripted_finish is not None and last is not None:
        steps[-1] = Step(last.piece, last.text, choice.scripted_finish)
    elif last is not None and len(steps) >= limit:
        steps[-1] = Step(last.piece, last.text, "length")
    else:
        steps.append(Step(None, text, "stop"))
    return steps


def visible(steps: list[Step], stop: list[str]) -> list[str]:
    """The text each step adds in a stream. vLLM's detokenizer holds back the last
    ``len(longest stop string) - 1`` characters until the end, so that a stop string
    split across tokens never reaches the client."""
    hold = max((len(s) for s in stop if s), default=1) - 1
    shown = ""
    out = []
    for step in steps:
        upto = step.text if step.finish_reason is not None or not hold else step.text[:-hold]
        upto = upto if len(upto) >= len(shown) else shown
        out.append(upto[len(shown) :])
        shown = upto
    return out

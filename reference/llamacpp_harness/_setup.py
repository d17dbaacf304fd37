"""The fake a recorded exchange is held to: the recorded build's profile, the harness's
command line, and a script that says what the real model said (its text, its tool calls, and
whether it ran out of tokens)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp

from fakes.llamacpp import LlamacppConfig, create_llamacpp_app
from fakes.model.script import Reply, Rule, Script, ToolCallReply
from fakes.profiles import builtin
from reference.llamacpp_harness._cases import KEY, MODEL

MODEL_PATH = "tiny.gguf"  # the file name both report when no alias applies


def _events(body: bytes) -> list[dict[str, Any]]:
    out = []
    for block in body.decode("utf-8", "replace").split("\n\n"):
        if block.startswith("data: {"):
            value = json.loads(block.removeprefix("data: "))
            if isinstance(value, dict):
                out.append(value)
    return out


def said(body: bytes, *, streamed: bool) -> Reply | None:
    """What the real model said in one answer, as a script reply (None: no answer)."""
    choices: list[dict[str, Any]] = []
    if streamed:
        text, finish, calls = "", None, []
        for event in _events(body):
            for choice in event.get("choices") or []:
                delta = choice.get("delta") or {}
                text += delta.get("content") or choice.get("text") or ""
                finish = choice.get("finish_reason") or finish
                for call in delta.get("tool_calls") or []:
                    function = call.get("function") or {}
                    if "name" in function:
                        calls.append({"name": function["name"], "arguments": ""})
                    if calls and "arguments" in function:
                        calls[-1]["arguments"] += function["arguments"]
        if finish is None:
            return None
        choices = [{"text": text, "finish_reason": finish, "tool_calls": calls}]
    else:
        try:
            value = json.loads(body)
        except ValueError:
            return None
        for choice in value.get("choices") or [] if isinstance(value, dict) else []:
            message = choice.get("message") or {}
            raw = message.get("tool_calls") or []
            calls = [
                {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                for c in raw
            ]
            text = message.get("content") or choice.get("text") or ""
            choices.append(
                {"text": text, "finish_reason": choice.get("finish_reason"), "tool_calls": calls}
            )
    if not choices:
        return None
    first = choices[0]
    return Reply(
        text=first["text"],
        tool_calls=tuple(ToolCallReply(**call) for call in first["tool_calls"]),
        finish_reason=first["finish_reason"],
    )


def fake_app(build: int, reply: Reply | None) -> ASGIApp:
    profiles = builtin("llamacpp")
    profile = profiles.for_release(str(build))
    script = Script(rules=(Rule(reply=reply),)) if reply is not None else Script()
    config = LlamacppConfig(
        profile=profile,
        build=build,
        model_path=MODEL_PATH,
        alias=MODEL,
        api_keys=(KEY,),
        ctx_size=512,
        script=script,
        control_plane=False,
    )
    return create_llamacpp_app(config)

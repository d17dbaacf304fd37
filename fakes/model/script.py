"""What the fake model says: replies matched to requests, with a deterministic default."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fakes.model.tokens import text_of

# Schemas built on first validation (a script file, a control-plane script): a start-up
# without a script file validates nothing (start-up time is a benchmark row).
_STRICT = ConfigDict(frozen=True, extra="forbid", defer_build=True)

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat."
)
DEFAULT_REASONING = "The user wants an answer; I will keep it short."


class ToolCallReply(BaseModel):
    model_config = _STRICT

    name: str = Field(min_length=1)
    arguments: dict[str, Any] | str = Field(default_factory=dict)


class ErrorReply(BaseModel):
    """An HTTP error answered in the backend's own error shape."""

    model_config = _STRICT

    status: int = Field(default=400, ge=400, le=599)
    message: str = "Scripted error"
    type: str | None = None  # the backend's type for the status when None
    param: str | None = None


class Reply(BaseModel):
    model_config = _STRICT

    text: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[ToolCallReply, ...] = ()
    error: ErrorReply | None = None
    finish_reason: str | None = None  # overrides the computed one (e.g. "eos")


class Match(BaseModel):
    """Every given condition must hold; an empty match matches every request."""

    model_config = _STRICT

    model: str | None = None
    contains: str | None = None  # substring of the last user message
    regex: str | None = None  # searched in the last user message
    tools: bool | None = None  # request has (non-empty) tools
    stream: bool | None = None
    path: str | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex {value!r}: {exc}") from None
        return value

    def matches(self, request: Mapping[str, Any], path: str) -> bool:
        if self.path is not None and self.path != path:
            return False
        if self.model is not None and request.get("model") != self.model:
            return False
        if self.stream is not None and bool(request.get("stream")) != self.stream:
            return False
        if self.tools is not None and bool(request.get("tools")) != self.tools:
            return False
        last = last_user_text(request)
        if self.contains is not None and self.contains not in last:
            return False
        return self.regex is None or re.search(self.regex, last) is not None


class Rule(BaseModel):
    model_config = _STRICT

    match: Match = Field(default_factory=Match)
    reply: Reply
    times: int | None = Field(default=None, ge=1)  # how many requests it answers; None: all


class DefaultReply(StrEnum):
    LOREM = "lorem"
    ECHO = "echo"


class Script(BaseModel):
    """Rules tried in order; the first that matches and is not used up answers."""

    model_config = _STRICT

    rules: tuple[Rule, ...] = ()
    default: DefaultReply = DefaultReply.LOREM
    lorem_words: int = Field(default=12, ge=0, le=10_000)


class ScriptPlayer:
    """A script plus how often each rule has answered; reset with the fake."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self._uses = [0] * len(self.script.rules)

    def choose(self, request: Mapping[str, Any], path: str) -> Reply | None:
        position = self.peek(request, path)
        return None if position is None else self.take(position)

    def peek(self, request: Mapping[str, Any], path: str) -> int | None:
        """The rule that would answer ``request``, not yet counted as used."""
        for position, rule in enumerate(self.script.rules):
            if rule.times is not None and self._uses[position] >= rule.times:
                continue
            if rule.match.matches(request, path):
                return position
        return None

    def take(self, position: int) -> Reply:
        """Count one use of the rule ``peek`` found, and hand out its reply."""
        self._uses[position] += 1
        return self.script.rules[position].reply

    def default_text(self, request: Mapping[str, Any]) -> str:
        if self.script.default is DefaultReply.ECHO:
            return last_user_text(request)
        return _lorem(self.script.lorem_words)


@functools.lru_cache(maxsize=64)
def _lorem(words: int) -> str:
    """The first ``words`` words of LOREM: split once per length, not once per request."""
    return " ".join(LOREM.split()[:words])


def last_user_text(request: Mapping[str, Any]) -> str:
    messages = request.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, str):
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return text_of(message.get("content"))
        return ""
    prompt = request.get("prompt", request.get("input", ""))
    if isinstance(prompt, list):
        return " ".join(str(p) for p in prompt if isinstance(p, str))
    return prompt if isinstance(prompt, str) else ""


def arguments_for(schema: object) -> dict[str, Any]:
    """Minimal arguments that satisfy a JSON schema's required properties.

    vLLM fills a named tool call by guided decoding against the schema; the fake's default
    does the same, deterministically.
    """
    if not isinstance(schema, Mapping):
        return {}
    properties = schema.get("properties")
    required = schema.get("required", [])
    if not isinstance(properties, Mapping) or not isinstance(required, list):
        return {}
    return {name: _example(properties.get(name)) for name in required if isinstance(name, str)}


def _example(schema: object) -> Any:
    if not isinstance(schema, Mapping):
        return "value"
    if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return {
        "integer": 1,
        "number": 1.5,
        "boolean": True,
        "array": [],
        "object": arguments_for(schema),
        "null": None,
    }.get(str(kind), "value")


class ScriptFileError(ValueError):
    """A script file that is not valid YAML or not a valid script."""


def load_script(path: str | None) -> Script:
    """A ``--script`` YAML file (none: the default script); a bad file names itself."""
    if path is None:
        return Script.model_construct()  # the defaults, valid as they are: no schema to build
    import yaml  # PyYAML only for a script file (start-up time is a benchmark row)

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return Script.model_validate(data)
    except yaml.YAMLError as exc:
        raise ScriptFileError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ScriptFileError(f"{path}: invalid script: {problems}") from None

"""The requests the harness sends to the real llama-server and to the fake, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MODEL = "tiny"  # the -a/--alias both servers run with
KEY = "harness-key"  # the --api-key both servers run with


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: dict[str, Any] | bytes | None = None
    authorized: bool = True
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        headers = dict(self.extra_headers)
        if self.body is not None:
            headers["content-type"] = "application/json"
        if self.authorized:
            headers["authorization"] = f"Bearer {KEY}"
        return headers


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def cases(stop_word: str) -> list[Case]:
    """``stop_word``: a word the model says early (found by a first plain request), so a
    stop string ends one answer with finish_reason "stop"."""
    return [
        Case("health", "GET", "/health", authorized=False),
        Case("models", "GET", "/v1/models"),
        Case("chat plain", "POST", "/v1/chat/completions", _chat("say hello", max_tokens=6)),
        Case(
            "chat model absent",
            "POST",
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "say alpha"}], "max_tokens": 3},
        ),
        Case(
            "chat stream",
            "POST",
            "/v1/chat/completions",
            _chat("hello world", max_tokens=5, stream=True),
        ),
        Case(
            "chat stream usage",
            "POST",
            "/v1/chat/completions",
            _chat("say beta", max_tokens=4, stream=True, stream_options={"include_usage": True}),
        ),
        Case(
            "chat stop string",
            "POST",
            "/v1/chat/completions",
            _chat("say hello", max_tokens=6, stop=[stop_word]),
        ),
        Case(
            "chat stream stop string",
            "POST",
            "/v1/chat/completions",
            _chat("say hello", max_tokens=6, stop=[stop_word], stream=True),
        ),
        Case(
            "completions plain",
            "POST",
            "/v1/completions",
            {"model": MODEL, "prompt": "alpha beta", "max_tokens": 5},
        ),
        Case(
            "completions stream",
            "POST",
            "/v1/completions",
            {"model": MODEL, "prompt": "alpha beta", "max_tokens": 4, "stream": True},
        ),
        Case(
            "chat tools",
            "POST",
            "/v1/chat/completions",
            _chat("weather in the world", max_tokens=40, tools=TOOLS),
        ),
        Case("unauthorized", "POST", "/v1/chat/completions", _chat("hi"), authorized=False),
        Case("unknown route", "GET", "/v1/nope"),
        Case("bad json", "POST", "/v1/chat/completions", b"{not json"),
        Case("missing messages", "POST", "/v1/chat/completions", {"model": MODEL}),
        Case("metrics off", "GET", "/metrics"),
    ]

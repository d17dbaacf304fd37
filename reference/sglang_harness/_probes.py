"""What the harness asks both sides: setups (server flags and the shared script) and the
requests sent under each, chosen to cover the quirks the profiles encode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakes.model.script import Match, Reply, Rule, Script, ToolCallReply

MODEL = "fake-model"
JSON = {"content-type": "application/json"}

SCRIPT = Script(
    rules=(
        Rule(
            match=Match(contains="weather"),
            reply=Reply(
                tool_calls=(ToolCallReply(name="get_weather", arguments={"city": "Paris"}),)
            ),
        ),
        Rule(match=Match(contains="think"), reply=Reply(reasoning="Let me see.", text="Done.")),
        Rule(match=Match(contains="hello"), reply=Reply(text="Hello world")),
    )
)

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    path: str
    body: Any = None  # JSON, or raw text when ``raw``
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))
    raw: bool = False

    @property
    def streamed(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))


@dataclass(frozen=True)
class Setup:
    name: str
    tool_call_parser: str | None
    reasoning_parser: str | None
    probes: tuple[Probe, ...]


def _chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def _post(name: str, body: Any, **options: Any) -> Probe:
    return Probe(name, "POST", "/v1/chat/completions", body, **options)


PLAIN = (
    _post("plain", _chat("say hello")),
    _post("stream", _chat("say hello", stream=True)),
    _post("stream-usage", _chat("say hello", stream=True, stream_options={"include_usage": True})),
    _post(
        "stream-continuous-usage",
        _chat(
            "say hello",
            stream=True,
            stream_options={"include_usage": True, "continuous_usage_stats": True},
        ),
    ),
    _post("lorem", _chat("anything")),
    _post("max-tokens", _chat("anything", max_tokens=3)),
    _post("max-tokens-stream", _chat("anything", max_tokens=3, stream=True)),
    _post("stop-string", _chat("say hello", stop=[" world"])),
    _post("stop-string-stream", _chat("say hello", stop=[" world"], stream=True)),
    _post("think-without-parser", _chat("think first")),
    _post("empty-messages", {"model": MODEL, "messages": []}),
    _post("missing-messages", {"model": MODEL}),
    _post("not-json", "hello", headers={"content-type": "text/plain"}, raw=True),
    Probe("models", "GET", "/v1/models"),
    Probe("health", "GET", "/health"),
    Probe("no-such-route", "GET", "/v1/nothing"),
)

PARSERS = (
    _post("tool-call", _chat("weather in Paris?", tools=[WEATHER_TOOL])),
    _post("tool-call-stream", _chat("weather in Paris?", tools=[WEATHER_TOOL], stream=True)),
    _post("reasoning", _chat("think first")),
    _post("reasoning-stream", _chat("think first", stream=True)),
)

SETUPS = (
    Setup("no-parsers", None, None, PLAIN),
    Setup("qwen25+qwen3", "qwen25", "qwen3", PARSERS),
)

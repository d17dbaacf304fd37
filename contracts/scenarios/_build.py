"""Small builders shared by the scenario families."""

from __future__ import annotations

from typing import Any

from contracts._model import Request
from fakes.model.script import Reply, Rule, Script, ToolCallReply

USER = {"role": "user", "content": "What is the weather in Paris?"}
ANSWER = "It is sunny in Paris, 21 degrees."

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string"}},
            "required": ["zone"],
        },
    },
}


def ask(*, stream: bool = False, **fields: Any) -> Request:
    return Request(messages=(USER,), stream=stream, **fields)


def says(text: str = ANSWER, **reply: Any) -> Script:
    return Script(rules=(Rule(reply=Reply(text=text, **reply)),))


def calls(*names_and_args: tuple[str, dict[str, Any]]) -> Script:
    return Script(
        rules=(
            Rule(
                reply=Reply(
                    tool_calls=tuple(ToolCallReply(name=n, arguments=a) for n, a in names_and_args)
                )
            ),
        )
    )


def chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    choices: Any = ...,
    **top: Any,
) -> dict[str, Any]:
    """A chat completion chunk as OpenAI-compatible servers write it."""
    value: dict[str, Any] = {
        "id": "chatcmpl-wire",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "fake-model",
    }
    if choices is ...:
        choices = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    value["choices"] = choices
    value.update(top)
    return value


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(message: dict[str, Any], finish: str | None = "stop", **top: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": "chatcmpl-wire",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage(12, 9),
    }
    value.update(top)
    return value

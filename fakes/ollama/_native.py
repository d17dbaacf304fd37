"""The native API (server/routes.go, api/types.go): NDJSON streams, /api/tags, /api/version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fakes.ollama._gojson import dumps
from fakes.ollama._reply import Generation, ToolCall
from fakes.profiles._ollama import OllamaKnobs


def go_time(moment: datetime) -> str:
    """time.Time's JSON: RFC 3339 with nanoseconds, trailing zeros trimmed, UTC as Z."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def now() -> str:
    return go_time(datetime.now(UTC))


def _metrics(gen: Generation) -> dict[str, int]:
    # every Metrics field is omitempty: zero durations are left out
    out = {"prompt_eval_count": gen.prompt_eval_count, "eval_count": gen.eval_count}
    return {k: v for k, v in out.items() if v}


def _tool_calls(calls: list[ToolCall] | tuple[ToolCall, ...]) -> list[Any]:
    return [{"function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def chat_line(
    knobs: OllamaKnobs,
    model: str,
    content: str,
    calls: tuple[ToolCall, ...] | list[ToolCall] = (),
    *,
    done_reason: str | None = None,
    gen: Generation | None = None,
) -> str:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = _tool_calls(calls)
    line: dict[str, Any] = {"model": model, "created_at": now(), "message": message}
    done = done_reason is not None
    if knobs.native_done_first:
        line["done"] = done
        if done_reason:
            line["done_reason"] = done_reason
    else:
        if done_reason:
            line["done_reason"] = done_reason
        line["done"] = done
    if gen is not None:
        line.update(_metrics(gen))
    return dumps(line)


def generate_line(model: str, text: str, *, done_reason: str | None, gen: Generation | None) -> str:
    line: dict[str, Any] = {"model": model, "created_at": now(), "response": text}
    line["done"] = done_reason is not None
    if done_reason:
        line["done_reason"] = done_reason
    if gen is not None:
        line.update(_metrics(gen))
    return dumps(line)


def tags_body(names: list[str], modified_at: str) -> str:
    models = [
        {
            "name": name,
            "model": name,
            "modified_at": modified_at,
            "size": 0,
            "digest": "",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "",
                "families": None,
                "parameter_size": "",
                "quantization_level": "",
            },
        }
        for name in names
    ]
    return dumps({"models": models})

"""Which requests the fast path takes: plain chat bodies whose every field it knows the
reference answer for. Anything else (tools, n, stop, odd types, unknown fields, a fault
header) goes to the reference path, so its error texts stay exact."""

from __future__ import annotations

from typing import Any, NamedTuple

from fakes.profiles import Knobs, UnknownFields

_COMMON = {"model", "stream", "stream_options", "max_tokens", "temperature", "top_p"}
CHAT_FIELDS = frozenset({"messages", *_COMMON})
COMPLETION_FIELDS = frozenset({"prompt", *_COMMON})
_MESSAGE_FIELDS = frozenset({"role", "content"})
_STREAM_OPTIONS = frozenset({"include_usage", "continuous_usage_stats"})


class Shape(NamedTuple):
    """What a template depends on in a plain request (the rest are its slots)."""

    model: str | None
    stream: bool
    max_tokens: int | None
    stream_options: tuple[tuple[str, bool | None], ...] | None
    extra: tuple[Any, ...] = ()  # what else a route's answer echoes (hashable)


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def plain_chat(knobs: Knobs, body: Any) -> Shape | None:
    """The request's shape if the fast path can answer it, else None."""
    if not isinstance(body, dict) or not CHAT_FIELDS.issuperset(body):
        return None
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in messages:
        if not (
            type(message) is dict
            and _MESSAGE_FIELDS.issuperset(message)
            and type(message.get("role")) is str
            and type(message.get("content")) is str
        ):
            return None
    return _common(knobs, body)


def plain_completion(knobs: Knobs, body: Any) -> Shape | None:
    """A /v1/completions request with one text prompt, else None."""
    if not isinstance(body, dict) or not COMPLETION_FIELDS.issuperset(body):
        return None
    if type(body.get("prompt")) is not str:
        return None
    shape = _common(knobs, body)
    if shape is not None and shape.stream and knobs.completion_first_chunk_prompt_ids:
        return None  # one id per prompt token on the first chunk: not a slot the path has
    return shape


def _common(knobs: Knobs, body: dict[str, Any]) -> Shape | None:
    strict = knobs.unknown_fields is UnknownFields.REJECT and knobs.request_fields
    if strict and not set(knobs.request_fields).issuperset(body):
        return None
    model = body.get("model")
    if model is None and (knobs.model_required or "model" in body):
        return None
    if model is not None and not isinstance(model, str):
        return None
    stream = body.get("stream", False)
    if type(stream) is not bool:
        return None
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        return None
    if not (_number(body.get("temperature")) and _number(body.get("top_p"))):
        return None
    if "stream_options" not in body:
        return Shape(model, stream, max_tokens, None)
    options = _stream_options(body["stream_options"], stream)
    return None if options is None else Shape(model, stream, max_tokens, options)


def _stream_options(options: Any, stream: bool) -> tuple[tuple[str, bool | None], ...] | None:
    """The stream options as a hashable key; None when the fast path does not take them."""
    if not stream or type(options) is not dict or not _STREAM_OPTIONS.issuperset(options):
        return None  # without stream the release's validator answers: the reference path
    if any(value is not None and type(value) is not bool for value in options.values()):
        return None
    return tuple(sorted(options.items()))

"""Request bodies as vLLM's FastAPI layer sees them: parsed, validated, errors in its words."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fakes.http.jsonlimit import MAX_DEPTH, TOO_DEEP, too_deep
from fakes.profiles import ChatMessageUnion, EmptyTools, Knobs, UnknownFields
from fakes.types import JSONObject
from fakes.vllm._fastapi import Where
from fakes.vllm._message_union import message_errors
from fakes.vllm._validation import VLLMValidationError
from fakes.vllm.wire.errors import PlainServerError, VllmError, validation_error


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    include_usage: bool | None = None
    continuous_usage_stats: bool | None = None


class _Function(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    type: Literal["function"] = "function"
    function: _Function


class _NamedFunction(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    name: str


class NamedToolChoice(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    function: _NamedFunction
    type: Literal["function"] = "function"


class _Common(BaseModel):
    """Fields both request kinds share, typed as vLLM types them (field order kept)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    model: str | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: Any = None
    max_tokens: int | None = None
    n: int | None = 1
    presence_penalty: float | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    temperature: float | None = None
    top_p: float | None = None
    user: str | None = None
    top_k: int | None = None
    min_p: float | None = None
    ignore_eos: bool | None = None
    min_tokens: int | None = None


class ChatRequest(_Common):
    messages: list[dict[str, Any]]
    max_completion_tokens: int | None = None
    tools: list[Tool] | None = None
    tool_choice: str | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    top_logprobs: int | None = None
    response_format: dict[str, Any] | None = None


class CompletionRequest(_Common):
    prompt: str | list[str] | list[int] | list[list[int]]
    echo: bool | None = False
    suffix: str | None = None


class ResponsesRequest(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)
    input: str | list[Any]  # each item checked by _responses_input
    model: str | None = None
    instructions: str | None = None
    max_output_tokens: int | None = None
    stream: bool | None = False
    tools: list[dict[str, Any]] | None = None
    temperature: float | None = None
    top_p: float | None = None


class ResponsesRequestWithPenalties(ResponsesRequest):
    """From 0.20 the penalties are fields of their own, in [-2, 2]; before, extra fields that
    nothing reads (knob responses_penalties)."""

    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)


_LONG_DIGITS = re.compile(rb"\d{19}")


def parse_json(body: bytes) -> Any:
    """Decode like FastAPI: a decode failure is a ``json_invalid`` validation error.

    orjson reads what it accepts; anything it refuses (bad JSON, NaN, 1e400, lone
    surrogates, a BOM, UTF-16) goes to the stdlib parser, whose messages are the ones FastAPI
    words its error with. orjson reads integers past 64 bits as floats, so a run of 19 digits
    goes there too."""
    if _LONG_DIGITS.search(body):
        return _parse_stdlib(body)
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _parse_stdlib(body)
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return value  # fewer brackets than the limit: it cannot nest deeper
    if too_deep(value):
        raise _JsonInvalid(0, TOO_DEEP)
    return value


def _parse_stdlib(body: bytes) -> Any:
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise _JsonInvalid(exc.pos, exc.msg) from None
    except UnicodeDecodeError as exc:
        raise _JsonInvalid(exc.start, "Invalid UTF-8 in request body") from None
    except RecursionError:
        value = None
        nested = True
    else:
        nested = too_deep(value)
    if nested:
        # deeper than the fake can write back (a 500 later): refused as a decode error
        raise _JsonInvalid(0, TOO_DEEP)
    return value


class _JsonInvalid(Exception):
    def __init__(self, position: int, message: str) -> None:
        self.errors = [
            {
                "type": "json_invalid",
                "loc": ("body", position),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": message},
            }
        ]


EMPTY_TOOLS = (
    "`tools` must not be an empty array. "
    "Either provide at least one tool or omit the field entirely."
)


NAMED_TOOL_NOT_FOUND = "Tool choice 'function' not found in 'tools' parameter."


def _value_error(message: str, body: Any, raised: ValueError | None = None) -> dict[str, Any]:
    raised = raised if raised is not None else ValueError(message)
    return {
        "type": "value_error",
        "loc": ("body",),
        "msg": f"Value error, {raised}",
        "input": body,
        "ctx": {"error": raised},
    }


def _model_checks(knobs: Knobs, body: JSONObject, chat: bool) -> dict[str, Any] | None:
    """vLLM's ``mode="before"`` model validators: they run before field validation."""
    options = body.get("stream_options")
    # 0.5 rejected any stream_options without stream; 0.6 on lets an empty {} through.
    rejects_empty = knobs.stream_options_stream_error.startswith("stream_options")
    if (
        options is not None
        and knobs.stream_options
        and not body.get("stream")
        and (options or rejects_empty)
    ):
        return _value_error(knobs.stream_options_stream_error, body)
    if not chat or not knobs.tools:
        return None
    if body.get("tools") == []:
        if knobs.empty_tools is EmptyTools.REJECTED:
            return _value_error(EMPTY_TOOLS, body)
        if knobs.empty_tools is EmptyTools.REJECTED_PARAMETER:  # not a ValueError: escapes pydantic
            raise VllmError(f"{EMPTY_TOOLS} (parameter=tools)", 400, param="tools")
        if knobs.empty_tools is EmptyTools.OMITTED and not isinstance(
            body.get("tool_choice"), dict
        ):  # a named choice keeps [] so that its lookup reports the mismatch
            body["tools"] = None
            if body.get("tool_choice") in ("auto", "required"):
                body["tool_choice"] = "none"
    choice = body.get("tool_choice")
    tools = body.get("tools")
    missing = tools is None
    if choice is not None and choice != "none" and missing:
        return _value_error("When using `tool_choice`, `tools` must be set.", body)
    if (
        isinstance(choice, str)
        and choice not in knobs.tool_choice_strings
        and (choice != "none" or "none" not in knobs.tool_choice_strings)
    ):
        if knobs.tool_choice_string_error:
            message = knobs.tool_choice_string_error.replace("{value}", choice)
            return _value_error(message, body)
        # 0.9: the validator raises NotImplementedError, which no handler catches.
        raise PlainServerError()
    if isinstance(choice, dict) and isinstance(tools, list):
        wanted = (
            (choice.get("function") or {}).get("name")
            if isinstance(choice.get("function"), dict)
            else None
        )
        names = [
            t.get("function", {}).get("name")
            for t in tools
            if isinstance(t, dict) and isinstance(t.get("function"), dict)
        ]
        if wanted is not None and wanted not in names:
            return _value_error(
                "The tool specified in `tool_choice` does not match any of the specified `tools`",
                body,
            )
    return None


def _responses_tool_usage(knobs: Knobs, body: JSONObject, where: Where | None) -> None:
    """ResponsesRequest.check_tool_usage (0.20+): its VLLMValidationError is a ValueError that
    pydantic wraps as a validation error up to 0.26, a plain 400 from 0.27."""
    tools = body.get("tools")
    choice = body.get("tool_choice", "auto")
    named = isinstance(choice, dict) and choice.get("type") == "function"
    if not (isinstance(tools, list) and tools):
        if choice == "required":
            message = "Tool choice 'required' must be specified with 'tools' parameter."
        elif named:
            message = NAMED_TOOL_NOT_FOUND
        else:
            return
    elif named and isinstance(choice, dict):
        # the Responses form names the tool at the top level; the chat form's
        # {"function": {"name": ...}} has no "name" there, so it is refused too
        names = {t.get("name") for t in tools if isinstance(t, dict)}
        if choice.get("name") and choice.get("name") in names:
            return
        message = NAMED_TOOL_NOT_FOUND
    else:
        return
    if knobs.responses_tool_usage_value_error:
        raised = VLLMValidationError(message, parameter="tool_choice")
        raise validation_error(knobs, [_value_error(message, body, raised)], where)
    raise VllmError(f"{message} (parameter=tool_choice)", 400, param="tool_choice")


def _as_errors(exc: ValidationError) -> list[dict[str, Any]]:
    errors = []
    for details in exc.errors(include_url=False):
        error: dict[str, Any] = dict(details)
        error["loc"] = ("body", *details["loc"])
        errors.append(error)
    return errors


def _message_union(knobs: Knobs, messages: list[Any], errors: list[dict[str, Any]]) -> None:
    """The release's own checks of each message (knob chat_message_union) in place of the
    fake's "a message is an object": ``messages`` is the request model's first field, so its
    errors come first."""
    if knobs.chat_message_union is ChatMessageUnion.NONE:
        return
    others = [
        e for e in errors if len(e["loc"]) == 2 or tuple(e["loc"][:2]) != ("body", "messages")
    ]
    errors[:] = message_errors(knobs.chat_message_union, messages) + others


def validate(
    knobs: Knobs,
    raw: bytes,
    kind: type[BaseModel],
    *,
    chat: bool = False,
    content_type: str | None = None,
    where: Where | None = None,
) -> tuple[JSONObject, BaseModel]:
    """Return the JSON body and its typed view, or raise the release's 400 (FastAPI's words
    for ``where``'s route)."""
    if (
        knobs.json_content_type_required
        and content_type is not None
        and (content_type.split(";")[0].strip().lower() != "application/json")
    ):
        message = " [\"Unsupported Media Type: Only 'application/json' is allowed\"]"
        raise VllmError(message, 400, knobs.validation_error_type)
    try:
        body = parse_json(raw)
    except _JsonInvalid as exc:
        raise validation_error(knobs, exc.errors, where) from None
    if not isinstance(body, dict):
        error = {
            "type": "model_attributes_type",
            "loc": ("body",),
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": body,
        }
        raise validation_error(knobs, [error], where)
    responses = issubclass(kind, ResponsesRequest)
    if responses and knobs.responses_named_tool_choice_check:
        _responses_tool_usage(knobs, body, where)
    before = _model_checks(knobs, body, chat)
    if before is not None:
        raise validation_error(knobs, [before], where)
    errors: list[dict[str, Any]] = []
    if responses:  # the union-typed fields, in ResponsesRequest's field order
        # openai-python's input and tool_choice types: their pydantic schemas are built on
        # the first /v1/responses request, not at start-up
        from fakes.vllm._responses_input import input_errors
        from fakes.vllm._responses_tool_choice import tool_choice_errors

        if isinstance(body.get("input"), list):
            found = input_errors(body["input"])
            if found and knobs.responses_input_schema:
                # the release's own validator words them (its data is read on first use)
                from fakes.vllm._input_schema import release_input_errors

                exact = release_input_errors(knobs.responses_input_schema, body)
                found = found if exact is None else exact
            errors.extend(found)
        if "tool_choice" in body:
            errors.extend(
                tool_choice_errors(knobs.responses_tool_choice_union, body["tool_choice"])
            )
    typed: BaseModel | None = None
    try:
        typed = kind.model_validate(body)
    except ValidationError as exc:
        errors.extend(_as_errors(exc))
    if knobs.model_required and "model" not in body:
        errors.insert(
            0, {"type": "missing", "loc": ("body", "model"), "msg": "Field required", "input": body}
        )
    if chat and isinstance(body.get("messages"), list):
        _message_union(knobs, body["messages"], errors)
    if knobs.unknown_fields is UnknownFields.REJECT and knobs.request_fields:
        known = set(knobs.request_fields)
        errors.extend(
            {
                "type": "extra_forbidden",
                "loc": ("body", key),
                "msg": "Extra inputs are not permitted",
                "input": value,
            }
            for key, value in body.items()
            if key not in known
        )
    if errors or typed is None:
        raise validation_error(knobs, errors, where)
    return body, typed

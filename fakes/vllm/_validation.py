"""The message and ``param`` vLLM's RequestValidationError handler writes, by release."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fakes.profiles import Knobs, ValidationStyle
from fakes.vllm._fastapi import Where, exception_str

# serve/exception_handling/handlers/validation.py (0.30): pydantic-core's wrapper names
_BRACKETED = re.compile(r"[\[\]{}()]")
_INTERNAL = frozenset(
    [
        "function-wrap",
        "function-after",
        "function-before",
        "function-plain",
        "json-or-python",
        "lax-or-strict",
        "chain",
        "default",
        "nullable",
        "tagged-union",
        "union",
        "call",
        "arguments",
        "is-instance",
        "is-subclass",
        "callable",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "bytearray",
        "list",
        "tuple",
        "dict",
        "set",
        "frozenset",
        "complex",
        "none",
        "nonetype",
    ]
)
_MAX_ERRORS = 10
_MAX_INPUT_CHARS = 200
_MAX_ERROR_CHARS = 1000


def clean_loc(loc: Sequence[Any]) -> str:
    """clean_loc_for_param: the dotted path without pydantic's internal segments."""
    parts = [str(p) for p in loc if not (_BRACKETED.search(str(p)) or str(p).lower() in _INTERNAL)]
    return ".".join(parts) if parts else ".".join(str(p) for p in loc)


def _summarize(value: Any) -> Any:
    if isinstance(value, str):
        return (
            value[:_MAX_INPUT_CHARS] + "...[truncated]" if len(value) > _MAX_INPUT_CHARS else value
        )
    if isinstance(value, bytes | bytearray):
        return f"<{type(value).__name__} of {len(value)} bytes>"
    if isinstance(value, list | tuple | set | frozenset | dict):
        return f"<{type(value).__name__} of {len(value)} items>"
    text = str(value)
    return text[:_MAX_INPUT_CHARS] + "...[truncated]" if len(text) > _MAX_INPUT_CHARS else text


def _bounded(error: dict[str, Any]) -> str:
    error = dict(error)
    if "input" in error:
        error["input"] = _summarize(error["input"])
    if isinstance(error.get("loc"), tuple | list):
        error["loc"] = clean_loc(tuple(error["loc"]))
    text = str(error)
    return text[:_MAX_ERROR_CHARS] + "...[truncated]" if len(text) > _MAX_ERROR_CHARS else text


def message(knobs: Knobs, errors: Sequence[dict[str, Any]], where: Where | None = None) -> str:
    style = knobs.validation_style
    if style is ValidationStyle.FASTAPI_REPR:
        where = where or Where(knobs.fastapi)
        text = exception_str(errors, where, knobs.fastapi_endpoints)
        listed = str(list(errors))
        if knobs.validation_appends_errors and errors and listed != text:
            return f"{text} {listed}"  # 0.9.2 api_server.py:1166-1172
        return text
    if not errors:
        return "Validation error"
    label = "error" if len(errors) == 1 else "errors"
    head = f"{len(errors)} validation {label}:\n"
    if style is ValidationStyle.COUNTED:
        return (head + "".join(f"  {error}\n" for error in errors)).rstrip()
    shown = errors[:_MAX_ERRORS]
    text = head + "".join(f"  {_bounded(error)}\n" for error in shown)
    if len(errors) > len(shown):
        text += f"  ...and {len(errors) - len(shown)} more {label}\n"
    return text.rstrip()


class VLLMValidationError(ValueError):
    """vLLM's own ValueError subclass (0.20-0.26 exceptions.py): raised inside a pydantic
    validator it becomes a value_error whose ctx keeps it; str() adds the parameter."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} (parameter={self.parameter})" if self.parameter is not None else base


def param(knobs: Knobs, errors: Sequence[dict[str, Any]]) -> str | None:
    for error in errors:  # a VLLMValidationError's parameter first (0.20.0 server_utils.py:416-422)
        raised = (error.get("ctx") or {}).get("error")
        if isinstance(raised, VLLMValidationError):
            return raised.parameter
    if not knobs.validation_param_loc or not errors or not errors[0].get("loc"):
        return None
    loc = tuple(errors[0]["loc"])
    return clean_loc(loc) if knobs.validation_param_clean else ".".join(str(p) for p in loc)

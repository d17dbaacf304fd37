"""``/v1/responses`` input items, validated as vLLM validates them.

vLLM types ``ResponsesRequest.input`` as ``str | list[ResponseInputOutputItem]``, the union of
openai-python's ``ResponseInputItemParam`` TypedDicts and its output item models (0.34.0
entrypoints/openai/responses/protocol.py:149, :264-272; 0.12.0 protocol.py). An item that fits
no member, such as a chat-style ``{"role": "tool", ...}`` message or an assistant message with
``"content": null``, is a 400 listing pydantic's errors for every member of the union.

The first members are mirrored field for field, in openai-python's order, and the rest of the
union is matched by its ``type`` literal alone: what the fake accepts is a superset of what vLLM
accepts. This mirror runs on every list ``input``; when it finds an error, the release's own
validator (``_input_schema``, knob ``responses_input_schema``) words the 400 instead, with the
whole list (138 to 463 errors in the recordings); a profile without that data keeps these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, NotRequired, Required

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict


class ResponseInputTextParam(TypedDict):
    text: str
    type: Literal["input_text"]


class ResponseInputImageParam(TypedDict):
    type: Literal["input_image"]


class ResponseInputFileParam(TypedDict):
    type: Literal["input_file"]


InputContent = list[ResponseInputTextParam | ResponseInputImageParam | ResponseInputFileParam]


class EasyInputMessageParam(TypedDict, total=False):
    content: Required[str | InputContent]
    role: Required[Literal["user", "assistant", "system", "developer"]]
    phase: Literal["commentary", "final_answer"] | None
    type: Literal["message"]


class Message(TypedDict, total=False):
    content: Required[InputContent]
    role: Required[Literal["user", "system", "developer"]]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["message"]


class ResponseOutputTextParam(TypedDict):
    type: Literal["output_text"]


class ResponseOutputRefusalParam(TypedDict):
    type: Literal["refusal"]


class ResponseOutputMessageParam(TypedDict):
    id: str
    content: Iterable[ResponseOutputTextParam | ResponseOutputRefusalParam]
    role: Literal["assistant"]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["message"]
    phase: NotRequired[Literal["commentary", "final_answer"] | None]


class ResponseFileSearchToolCallParam(TypedDict):
    id: str
    queries: Sequence[str]
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"]
    type: Literal["file_search_call"]


class OtherInputItem(TypedDict):
    """The union's other members, by the ``type`` each requires (openai-python 3.x)."""

    type: Literal[
        "computer_call",
        "computer_call_output",
        "web_search_call",
        "function_call",
        "function_call_output",
        "tool_search_call",
        "tool_search_output",
        "additional_tools",
        "configuration_update",
        "reasoning",
        "compaction",
        "image_generation_call",
        "code_interpreter_call",
        "local_shell_call",
        "local_shell_call_output",
        "shell_call",
        "shell_call_output",
        "apply_patch_call",
        "apply_patch_call_output",
        "mcp_list_tools",
        "mcp_approval_request",
        "mcp_approval_response",
        "mcp_call",
        "custom_tool_call_output",
        "custom_tool_call",
        "compaction_trigger",
        "program",
        "program_output",
    ]


class ItemReference(TypedDict, total=False):
    id: Required[str]
    type: Literal["item_reference"] | None


InputItem = (
    EasyInputMessageParam
    | Message
    | ResponseOutputMessageParam
    | ResponseFileSearchToolCallParam
    | OtherInputItem
    | ItemReference
)

_INPUT: TypeAdapter[str | list[InputItem]] = TypeAdapter(str | list[InputItem])


def input_errors(value: list[Any]) -> list[dict[str, Any]]:
    """pydantic's errors for a list ``input``, located under ``body.input``; [] when valid."""
    try:
        _INPUT.validate_python(value)
    except ValidationError as exc:
        return [
            {**details, "loc": ("body", "input", *details["loc"])}
            for details in exc.errors(include_url=False)
        ]
    return []

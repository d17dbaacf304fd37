"""``/v1/responses`` ``tool_choice``, validated as vLLM validates it.

vLLM types it with openai-python's ``ToolChoice`` union (0.34.0
entrypoints/openai/responses/protocol.py:49, :297; the same import in 0.10-0.33), so the chat
form ``{"type": "function", "function": {"name": ...}}`` (no top-level ``name``) and ``null``
are 400s listing one error per member. From 0.20 ``check_tool_usage`` refuses the chat form
first, in its own words (``_requests._responses_tool_usage``). The members are mirrored in
openai-python 3.x's order; earlier openai-python releases lack the last ones. The union is the
one of the newest openai the release's requirements allow (knob ``responses_tool_choice_union``):
0.10.0 pins openai<=1.90.0, whose union is three members; 0.18.0 pins openai<2.25.0, whose
2.24.0 has eight (12 errors for the chat form).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from fakes.profiles import ToolChoiceUnion


class _OpenAIModel(BaseModel):
    model_config = ConfigDict(extra="allow")  # as openai-python's BaseModel


class ToolChoiceAllowed(_OpenAIModel):
    mode: Literal["auto", "required"]
    tools: list[dict[str, object]]
    type: Literal["allowed_tools"]


class ToolChoiceTypes(_OpenAIModel):
    type: Literal[
        "file_search",
        "web_search_preview",
        "computer",
        "computer_use_preview",
        "computer_use",
        "web_search_preview_2025_03_11",
        "image_generation",
        "code_interpreter",
    ]


class ToolChoiceFunction(_OpenAIModel):
    name: str
    type: Literal["function"]


class ToolChoiceMcp(_OpenAIModel):
    server_label: str
    type: Literal["mcp"]
    name: str | None = None


class ToolChoiceCustom(_OpenAIModel):
    name: str
    type: Literal["custom"]


class ToolChoiceSpecificProgrammaticToolCallingParam(_OpenAIModel):
    type: Literal["programmatic_tool_calling"]


class ToolChoiceApplyPatch(_OpenAIModel):
    type: Literal["apply_patch"]


class ToolChoiceShell(_OpenAIModel):
    type: Literal["shell"]


ToolChoice = (
    Literal["none", "auto", "required"]
    | ToolChoiceAllowed
    | ToolChoiceTypes
    | ToolChoiceFunction
    | ToolChoiceMcp
    | ToolChoiceCustom
    | ToolChoiceSpecificProgrammaticToolCallingParam
    | ToolChoiceApplyPatch
    | ToolChoiceShell
)


class Openai190:
    """openai-python 1.87-1.90's members whose names 3.x reuses (pydantic's errors name a union
    member by its class name)."""

    class ToolChoiceTypes(_OpenAIModel):
        type: Literal[
            "file_search",
            "web_search_preview",
            "computer_use_preview",
            "web_search_preview_2025_03_11",
            "image_generation",
            "code_interpreter",
            "mcp",
        ]


ToolChoice190 = Literal["none", "auto", "required"] | Openai190.ToolChoiceTypes | ToolChoiceFunction


class Openai224:
    """openai-python 2.24's ToolChoiceTypes: no "computer" or "computer_use" yet."""

    class ToolChoiceTypes(_OpenAIModel):
        type: Literal[
            "file_search",
            "web_search_preview",
            "computer_use_preview",
            "web_search_preview_2025_03_11",
            "image_generation",
            "code_interpreter",
        ]


# openai-python 2.24.0 types/responses/response.py:37-46: no programmatic tool calling member
ToolChoice224 = (
    Literal["none", "auto", "required"]
    | ToolChoiceAllowed
    | Openai224.ToolChoiceTypes
    | ToolChoiceFunction
    | ToolChoiceMcp
    | ToolChoiceCustom
    | ToolChoiceApplyPatch
    | ToolChoiceShell
)

_UNIONS: dict[ToolChoiceUnion, TypeAdapter[Any]] = {
    ToolChoiceUnion.OPENAI_1_90: TypeAdapter(ToolChoice190),
    ToolChoiceUnion.OPENAI_2_24: TypeAdapter(ToolChoice224),
    ToolChoiceUnion.OPENAI_3: TypeAdapter(ToolChoice),
}


def tool_choice_errors(union: ToolChoiceUnion, value: Any) -> list[dict[str, Any]]:
    """pydantic's errors for a sent ``tool_choice``, located under ``body.tool_choice``."""
    try:
        _UNIONS[union].validate_python(value)
    except ValidationError as exc:
        return [
            {**details, "loc": ("body", "tool_choice", *details["loc"])}
            for details in exc.errors(include_url=False)
        ]
    return []

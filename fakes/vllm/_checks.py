"""vLLM's checks before anything is generated: the model name, the context length and
max_tokens, whether a tool_choice needs a tool parser, and whether /v1/responses takes tools.
Each raises the release's error."""

from __future__ import annotations

from typing import Any

from fakes.profiles import Knobs, ParserlessToolChoice
from fakes.vllm._state import VllmState
from fakes.vllm.wire.errors import VllmError


def model_name(state: VllmState, body: dict[str, Any]) -> str:
    """vLLM's check_model: an unknown name is a 404 before anything is generated."""
    names = state.config.served_model_names
    requested = body.get("model")
    if requested is None:
        return names[0]
    if requested not in names:
        message = f"The model `{requested}` does not exist."
        if state.knobs.not_found_lists_models:
            message += f" Valid aliases: {', '.join(names)}."
        raise VllmError(message, 404, param="model" if state.knobs.not_found_param else None)
    return requested if state.knobs.echo_requested_model else names[0]


def check_context(state: VllmState, prompt: int, max_tokens: int | None) -> None:
    limit = state.config.max_model_len
    if max_tokens is not None and prompt + max_tokens > limit:
        raise VllmError(
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{prompt + max_tokens} tokens ({prompt} in the messages, {max_tokens} in the "
            "completion). Please reduce the length of the messages or completion.",
            400,
        )
    if prompt >= limit:
        raise VllmError(
            f"This model's maximum context length is {limit} tokens. However, your request "
            f"has {prompt} input tokens. Please reduce the length of the input messages.",
            400,
        )
    if max_tokens is not None and max_tokens < 1:
        # SamplingParams._verify_args (0.4.3 sampling_params.py:227 ... 0.33.0:691): a
        # ValueError the handler turns into a 400
        message = f"max_tokens must be at least 1, got {max_tokens}."
        if state.knobs.parameter_errors:  # a VLLMValidationError from 0.14
            raise VllmError(
                f"{message} (parameter=max_tokens, value={max_tokens})", 400, param="max_tokens"
            )
        raise VllmError(message, 400)


def check_tool_choice(knobs: Knobs, auto_tools: bool, tool_choice: Any) -> None:
    """What a tool_choice needs from the server's flags: "auto" both tool flags (where the
    release says so), a named or "required" one a tool parser (check_tool_parser)."""
    if tool_choice == "auto" and knobs.auto_tools_need_flags and not auto_tools:
        raise VllmError(
            '"auto" tool choice requires --enable-auto-tool-choice and '
            "--tool-call-parser to be set",
            400,
        )
    check_tool_parser(knobs, auto_tools, tool_choice)


def check_tool_parser(knobs: Knobs, auto_tools: bool, tool_choice: Any) -> None:
    """From 0.14 a named or "required" tool_choice needs a tool parser, and vLLM builds one
    only with both --enable-auto-tool-choice and --tool-call-parser (0.14.0
    serving_engine.py:264-270, 0.34.0 parser/parser_manager.py:34)."""
    style = knobs.parserless_tool_choice
    if auto_tools or style is ParserlessToolChoice.ALLOWED:
        return
    if tool_choice in (None, "none", "auto"):
        return
    if not isinstance(tool_choice, dict):
        described = f'"{tool_choice}"'
    elif style is ParserlessToolChoice.REPR:  # str() of vLLM's ChatCompletionNamedToolChoiceParam
        name = tool_choice["function"]["name"]
        described = f"\"function=ChatCompletionNamedFunction(name={name!r}) type='function'\""
    else:
        described = f'function "{tool_choice["function"]["name"]}"'
    raise VllmError(f"tool_choice={described} requires --tool-call-parser to be set", 400)


def check_responses_tools(knobs: Knobs, tools: list[dict[str, Any]] | None) -> None:
    """0.10.1-0.11.0 serve /v1/responses tools only to harmony (gpt-oss) models: any other
    model's _make_request raises NotImplementedError, which create_responses words as
    f"{e} {e.__cause__}" (0.10.2 serving_responses.py:252-254,404-406)."""
    if tools and knobs.responses_tools_need_harmony:
        raise VllmError("Tool use is not supported in Responses API without Harmony None", 400)

"""1.80's answer to a bridged stream whose tool_choice is a chat-form named one
({"type": "function", "function": {"name": ...}}): its /v1/responses bridge builds
response.created through ResponsesAPIResponse, whose tool_choice union rejects that dict
(litellm 1.80.17 responses/litellm_completion_transformation/streaming_iterator.py:133-142;
transformation.py:132-136 passes the dict through), before the first event. The proxy writes the
error as its stream's first frame, the ValidationError and its traceback in the message
(proxy/proxy_server.py:4407-4441), and answers that first frame as a JSON 500
(proxy/common_request_processing.py:160-190).

The text is 1.80.17's own (openai 3.63.0's tool_choice types, pydantic 2.14, Python 3.11), as
recorded (recordings/litellm/litellm-1.80.17+*.json, tool_call_named_stream); only the input's
repr and the installation folder vary.
"""

from __future__ import annotations

from typing import Any

from fakes.litellm._health_params import SITE_PACKAGES

# str(ValidationError): {value} is the dict's repr as pydantic-core shortens it
_ERRORS = (
    "13 validation errors for ResponsesAPIResponse\n"
    "tool_choice.literal['none','auto','required']\n"
    "  Input should be 'none', 'auto' or 'required' [type=literal_error, inpu"
    "t_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceAllowedParam.mode\n"
    "  Field required [type=missing, input_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/mis"
    "sing\n"
    "tool_choice.ToolChoiceAllowedParam.tools\n"
    "  Field required [type=missing, input_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/mis"
    "sing\n"
    "tool_choice.ToolChoiceAllowedParam.type\n"
    "  Input should be 'allowed_tools' [type=literal_error, input_value='func"
    "tion', input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceTypesParam.type\n"
    "  Input should be 'file_search', 'web_search_preview', 'computer', 'comp"
    "uter_use_preview', 'computer_use', 'web_search_preview_2025_03_11', 'ima"
    "ge_generation' or 'code_interpreter' [type=literal_error, input_value='f"
    "unction', input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceFunctionParam.name\n"
    "  Field required [type=missing, input_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/mis"
    "sing\n"
    "tool_choice.ToolChoiceMcpParam.server_label\n"
    "  Field required [type=missing, input_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/mis"
    "sing\n"
    "tool_choice.ToolChoiceMcpParam.type\n"
    "  Input should be 'mcp' [type=literal_error, input_value='function', inp"
    "ut_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceCustomParam.name\n"
    "  Field required [type=missing, input_value={value}, input_type=dict]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/mis"
    "sing\n"
    "tool_choice.ToolChoiceCustomParam.type\n"
    "  Input should be 'custom' [type=literal_error, input_value='function', "
    "input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceSpecificProgrammaticToolCallingParam.type\n"
    "  Input should be 'programmatic_tool_calling' [type=literal_error, input"
    "_value='function', input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceApplyPatchParam.type\n"
    "  Input should be 'apply_patch' [type=literal_error, input_value='functi"
    "on', input_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
    "tool_choice.ToolChoiceShellParam.type\n"
    "  Input should be 'shell' [type=literal_error, input_value='function', i"
    "nput_type=str]\n"
    "    For further information visit https://errors.pydantic.dev/2.14/v/lit"
    "eral_error\n"
)
# traceback.format_exc() down to the exception line
_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "{site}litellm/proxy/proxy_server.py", line 4375, in async_data_g'
    "enerator\n"
    "    async for chunk in proxy_logging_obj.async_post_call_streaming_itera"
    "tor_hook(\n"
    '  File "{site}litellm/proxy/utils.py", line 1918, in async_post_call_str'
    "eaming_iterator_hook\n"
    "    async for chunk in current_response:\n"
    '  File "{site}litellm/integrations/custom_logger.py", line 410, in async'
    "_post_call_streaming_iterator_hook\n"
    "    async for item in response:\n"
    '  File "{site}litellm/proxy/hooks/responses_id_security.py", line 270, i'
    "n async_post_call_streaming_iterator_hook\n"
    "    async for chunk in response:\n"
    '  File "{site}litellm/integrations/custom_logger.py", line 410, in async'
    "_post_call_streaming_iterator_hook\n"
    "    async for item in response:\n"
    '  File "{site}litellm/integrations/custom_logger.py", line 410, in async'
    "_post_call_streaming_iterator_hook\n"
    "    async for item in response:\n"
    '  File "{site}litellm/integrations/custom_logger.py", line 410, in async'
    "_post_call_streaming_iterator_hook\n"
    "    async for item in response:\n"
    "  [Previous line repeated 2 more times]\n"
    '  File "{site}litellm/responses/litellm_completion_transformation/stream'
    'ing_iterator.py", line 368, in __anext__\n'
    "    raise e\n"
    '  File "{site}litellm/responses/litellm_completion_transformation/stream'
    'ing_iterator.py", line 346, in __anext__\n'
    "    result = self.return_default_initial_events()\n"
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "{site}litellm/responses/litellm_completion_transformation/stream'
    'ing_iterator.py", line 284, in return_default_initial_events\n'
    "    return self.create_response_created_event()\n"
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "{site}litellm/responses/litellm_completion_transformation/stream'
    'ing_iterator.py", line 141, in create_response_created_event\n'
    "    response=ResponsesAPIResponse(**response_created_event_data),\n"
    "             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    '  File "{site}pydantic/main.py", line 280, in __init__\n'
    "    validated_self = self.__pydantic_validator__.validate_python(data, s"
    "elf_instance=self)\n"
    "                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    "^^^^^^^^^^^^^^^^^^\n"
)


def named_chat_choice(choice: Any) -> bool:
    """The chat form of a named tool_choice, which the bridge passes on unchanged."""
    if not isinstance(choice, dict) or choice.get("type") != "function" or "name" in choice:
        return False
    function = choice.get("function")
    return isinstance(function, dict) and bool(function.get("name"))


def _short_repr(value: Any) -> str:
    """pydantic-core's input_value: a repr over 50 characters keeps its first 25 and last 24."""
    text = repr(value)
    return text if len(text) <= 50 else f"{text[:25]}...{text[-24:]}"


def message(choice: Any) -> str:
    """The 500's message: str(e), a blank line, the traceback (proxy_server.py:4432-4433)."""
    errors = _ERRORS.format(value=_short_repr(choice)).removesuffix("\n")
    trace = _TRACE.format(site=SITE_PACKAGES)
    return f"{errors}\n\n{trace}pydantic_core._pydantic_core.ValidationError: {errors}\n"

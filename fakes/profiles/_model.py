"""The typed, declarative description of one backend release range."""

from __future__ import annotations

from enum import StrEnum

from packaging.version import InvalidVersion, Version
from pydantic import BaseModel, ConfigDict, Field, field_validator


class ResponsesRoute(StrEnum):
    ABSENT = "absent"  # 404 {"detail":"Not Found"}
    NON_STREAMING = "non_streaming"  # stream=true raises NotImplementedError: a plain 500
    STREAM_CUT = "stream_cut"  # stream=true starts a 200 then the connection drops
    STREAMING = "streaming"


class ResponsesStream(StrEnum):
    """How /v1/responses streams a plain (non-harmony) answer's message item."""

    EVERY_DELTA = "every_delta"  # content_index counts every event; the EOS step's "" is sent
    SKIP_EMPTY = "skip_empty"  # content_index 0; "" skipped, and a "" last step skips the *.done
    STATE_MACHINE = "state_machine"  # content_index 0; "" skipped; the item is always closed
    SEND_EMPTY = "send_empty"  # content_index 0; the EOS step's "" is sent; always closed


class ToolChoiceUnion(StrEnum):
    """Which openai-python release's ToolChoice union types /v1/responses' tool_choice."""

    OPENAI_1_90 = "openai_1_90"  # literal, ToolChoiceTypes (with "mcp"), ToolChoiceFunction
    OPENAI_2_24 = "openai_2_24"  # ... allowed tools, MCP, custom, apply_patch, shell
    OPENAI_3 = "openai_3"  # ... and allowed tools, MCP, custom, apply_patch, shell members


class ChatMessageUnion(StrEnum):
    """The union chat messages are validated against (0.4-0.6: openai-python's message
    TypedDicts and vLLM's custom message under extra='forbid'), by vLLM and openai release."""

    NONE = "none"  # any JSON object is a message (0.7 on: the fake checks nothing more)
    VLLM_0_4_OPENAI_1_30 = "vllm_0_4_openai_1_30"
    VLLM_0_5_OPENAI_1_37 = "vllm_0_5_openai_1_37"
    VLLM_0_5_5_OPENAI_1_37 = "vllm_0_5_5_openai_1_37"  # 0.5.3's and vLLM's audio_url part
    VLLM_0_6_0_OPENAI_1_51 = "vllm_0_6_0_openai_1_51"
    VLLM_0_6_4_OPENAI_1_54 = "vllm_0_6_4_openai_1_54"


class MessagesStart(StrEnum):
    """What /v1/messages' message_start event says about the message (exclude_unset dumps)."""

    BARE = "bare"  # id, content [], model only
    INPUT_USAGE = "input_usage"  # ... and usage {input_tokens, output_tokens: 0}
    STOP_AND_INPUT_USAGE = "stop_and_input_usage"  # ... stop_reason, stop_sequence null first
    FULL = "full"  # ... type, role, stop_reason and stop_sequence null, usage


class MessagesTextBlock(StrEnum):
    """When a /v1/messages body's content holds a text block."""

    LEADING = "leading"  # always, first, even empty ("text": "")
    PRESENT = "present"  # only for non-empty text (an empty answer has content [])
    PRESENT_OR_EMPTY = "present_or_empty"  # ... and one empty text block when nothing else


class ResponsesItemId(StrEnum):
    """The streamed message item's id."""

    UUID = "uuid"  # str(uuid.uuid4()): 36 characters with dashes
    HEX = "hex"  # random_uuid(), bare
    MSG_HEX = "msg_hex"  # "msg_" + random_uuid()


class ResponsesEventResponse(StrEnum):
    """What the response.created / in_progress / completed events carry as ``response``."""

    BODY = "body"  # the release's own ResponsesResponse, as the non-streaming body
    # openai's Response type (0.10.2-0.11.0): its own keys, then the body's it lacks (0.11.0's
    # input_messages, output_messages), a float created_at, and
    # response.completed fails its validation (usage lacks cache_write_tokens): the stream
    # is cut after response.output_item.done
    OPENAI_RESPONSE = "openai_response"


class ErrorShape(StrEnum):
    FLAT = "flat"  # {"object":"error","message",...}
    NESTED = "nested"  # {"error":{"message",...}}


class StreamUsage(StrEnum):
    ALWAYS_IN_FINISH_CHUNK = "always_in_finish_chunk"  # 0.4: usage rides on the finish chunk
    ON_REQUEST = "on_request"  # only with stream_options.include_usage


class ContinuousUsage(StrEnum):
    UNSUPPORTED = "unsupported"
    PER_CHUNK = "per_chunk"  # each chunk counts only its own tokens (a bug)
    CUMULATIVE = "cumulative"


class UnknownFields(StrEnum):
    REJECT = "reject"
    IGNORE = "ignore"


class JsonStyle(StrEnum):
    COMPACT = "compact"
    SPACED = "spaced"


class HermesStream(StrEnum):
    """How the hermes tool parser streams an auto tool call's arguments."""

    # the rewrite (0.19): one fragment a token, as the model wrote them
    REWRITTEN = "rewritten"
    # 0.6.1-0.6.4: diffs of json.dumps of the partially parsed arguments
    JSON_DIFF = "json_diff"
    # 0.6.0: as json_diff, but the call opens with a delta of id, type and index alone, and
    # the name follows in a delta of its own
    JSON_DIFF_INITIAL = "json_diff_initial"
    # 0.6.5-0.10: the delta's text, a closing brace trimmed; the first fragment cut from json.dumps
    DELTA_TEXT = "delta_text"
    # 0.11-0.18: ... the first fragment cut from the raw text, a brace trimmed once complete
    RAW_ARGUMENTS = "raw_arguments"


class NamedToolStream(StrEnum):
    """How a named ``tool_choice`` streams its (guided) arguments."""

    NAME_EVERY_DELTA_NO_INDEX = "name_every_delta_no_index"  # 0.5
    NAME_EVERY_DELTA = "name_every_delta"  # 0.6: index, no id/type, name repeated
    FRAGMENTS = "fragments"  # like auto tools: header delta then argument fragments


class RequiredStream(StrEnum):
    """How ``tool_choice: "required"`` streams the guided JSON list (before 0.24's parser).
    The first delta waits for ``"parameters"`` and carries the name and the first argument
    fragment; the list's closing tokens send nothing."""

    TYPED = "typed"  # 0.8.3-0.8.x: no id (exclude_unset), type on every delta, name: null after
    ID_HEADER = "id_header"  # 0.9: the first delta has id and type, then index and name: null


class EmptyTools(StrEnum):
    """What ``"tools": []`` means to the request validators."""

    SET = "set"  # tools are set (checked with "is None"): a tool_choice passes (0.5)
    REJECTED = "rejected"  # a 400 validation error: "`tools` must not be an empty array" (0.20)
    REJECTED_PARAMETER = "rejected_parameter"  # the same as a VLLMValidationError (0.28-0.33)
    OMITTED = "omitted"  # dropped: "auto"/"required" become "none" (0.34)


class ParserlessToolChoice(StrEnum):
    """What a "required" or named ``tool_choice`` gets when no --tool-call-parser is set."""

    ALLOWED = "allowed"  # guided decoding answers it (before 0.14)
    REPR = "repr"  # 400 tool_choice="<str() of the request's value>" requires ... (0.14-0.25)
    DESCRIBED = "described"  # 400 tool_choice=function "name" requires ... (0.26)


class ValidationStyle(StrEnum):
    # str(RequestValidationError), in the words of the FastAPI installed (knob fastapi): the
    # error list's repr before FastAPI 0.124, counted lines and the endpoint from 0.124
    FASTAPI_REPR = "fastapi_repr"
    COUNTED = "counted"  # "N validation error(s):" then "  {error}" lines (0.26)
    COUNTED_BOUNDED = "counted_bounded"  # ... inputs summarized, loc dotted, at most 10 (0.30)


class Knobs(BaseModel):
    """Every quirk of a vLLM release range, as data. Defaults are the newest behaviour."""

    # The shipped profiles are constructed from their precompiled form (_compiled.py), so the
    # validation schema of ~140 knobs (about 20 ms) is built on first use (a user's profile
    # file, a knob changed at run time, a dump), not at start-up.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    # Routes
    responses: ResponsesRoute
    # /v1/messages (Anthropic), served by translating to chat completions
    messages: bool = True
    messages_count_tokens: bool = True  # /v1/messages/count_tokens
    messages_stream_done: bool = False  # "data: [DONE]" after message_stop
    messages_start: MessagesStart = MessagesStart.FULL
    # error.type from the status in Anthropic's words, else vLLM's own type name
    messages_anthropic_error_types: bool = True
    messages_text_block: MessagesTextBlock = MessagesTextBlock.PRESENT_OR_EMPTY
    messages_stop_sequence: bool = True  # a matched stop string is stop_reason "stop_sequence"
    # with messages_stop_sequence, the streamed message_delta says "stop_sequence": null when no
    # stop string matched (0.29 leaves the key out: exclude_unset and it is not set)
    messages_delta_null_stop_sequence: bool = True
    messages_finish_chunk_dropped: bool = False  # the stream skips the finish chunk's text
    responses_stream: ResponsesStream = ResponsesStream.STATE_MACHINE
    responses_item_id: ResponsesItemId = ResponsesItemId.MSG_HEX
    responses_done_item_summary: bool = False  # the output_item.done item has "summary": []
    responses_done_item_status: bool = True  # ... and status "incomplete" on a length finish
    responses_completed_reuses_items: bool = True  # response.completed shows the streamed items
    responses_completed_last_step: bool = False  # ... else only the last engine step's text
    # the /v1/responses body: ordered keys, nulls included (ResponsesResponse model_dump)
    responses_keys: tuple[str, ...] = (
        "id", "created_at", "incomplete_details", "instructions", "metadata", "model",
        "object", "output", "parallel_tool_calls", "temperature", "tool_choice", "tools",
        "top_p", "background", "max_output_tokens", "max_tool_calls", "previous_response_id",
        "prompt", "prompt_cache_options", "prompt_cache_key", "prompt_cache_retention",
        "reasoning", "safety_identifier", "service_tier", "status", "text", "top_logprobs",
        "truncation", "usage", "user", "presence_penalty", "frequency_penalty",
        "kv_transfer_params", "ec_transfer_params", "input_messages", "output_messages",
    )  # fmt: skip
    responses_usage_input_keys: tuple[str, ...] = (
        "cached_tokens",
        "cache_write_tokens",
        "input_tokens_per_turn",
        "cached_tokens_per_turn",
    )
    responses_usage_output_keys: tuple[str, ...] = (
        "reasoning_tokens",
        "tool_output_tokens",
        "output_tokens_per_turn",
        "tool_output_tokens_per_turn",
    )
    # a function tool echoed in the body: openai's FunctionTool dump (the openai release's
    # fields; "async" by alias where vLLM dumps by_alias)
    responses_tool_keys: tuple[str, ...] = (
        "name", "parameters", "strict", "type", "allowed_callers", "async", "defer_loading",
        "description", "output_schema",
    )  # fmt: skip
    # the skip-empty and state-machine streams' reasoning part events:
    # "response.<prefix>.added" / ".done"
    responses_reasoning_part_events: str = "content_part"
    # the message item after a reasoning item has a str(uuid4()) id, whatever
    # responses_item_id gives the first item (0.18-0.20)
    responses_message_after_reasoning_uuid: bool = False
    # with auto tool choice on, the tool parser yields no delta for the EOS step, so a
    # skip-empty stream's last delta has text and closes the message item (0.19-0.20's hermes)
    responses_tool_parser_swallows_eos: bool = False
    responses_reasoning_tokens: bool = True  # usage counts the reasoning parser's tokens
    responses_usage_chat: bool = False  # usage is chat's UsageInfo (prompt_/completion_tokens)
    responses_reasoning_text: bool = False  # vLLM's own reasoning item: "text", no "content"
    responses_message_phase: bool = True  # the message item has openai's "phase" (null)
    # presence_penalty / frequency_penalty are typed fields in [-2, 2] (a 400 otherwise) and
    # reach the sampling params and the body; False: extra fields that nothing reads
    responses_penalties: bool = False
    # the openai-python ToolChoice union /v1/responses validates tool_choice against
    responses_tool_choice_union: ToolChoiceUnion = ToolChoiceUnion.OPENAI_3
    # the release's own /v1/responses body validator as data (fakes/vllm/input_schemas/<name>,
    # written by reference/vllm_harness/input_schemas.py), which words a bad input item's
    # errors; "": the union's first members, mirrored (fakes/vllm/_responses_input.py)
    responses_input_schema: str = ""
    responses_top_logprobs_null: bool = True  # False: 0 (0.10.0-0.10.1 "top_logprobs: int")
    responses_length_incomplete: bool = True  # a length finish: status "incomplete" + details
    responses_tool_choice_none_without_tools: bool = True  # no tools: "auto" reads "none"
    # a named tool_choice must name one of the tools by its top-level "name" (else a 400)
    responses_named_tool_choice_check: bool = False
    # ... raised as a ValueError inside pydantic: a validation error (0.20-0.26)
    responses_tool_usage_value_error: bool = False
    # any tools on a non-harmony model: 400 "Tool use is not supported ... without Harmony None"
    responses_tools_need_harmony: bool = False
    responses_event_response: ResponsesEventResponse = ResponsesEventResponse.BODY
    tokenize: bool = True  # /tokenize and /detokenize
    tokenize_token_strs: bool = False  # TokenizeResponse has token_strs (null unless asked)
    auth_prefixes: tuple[str, ...] = ("/v1",)
    # Identifiers
    chat_id_prefix: str
    completion_id_prefix: str = "cmpl-"
    response_id_prefix: str = "resp_"
    id_hex_length: int = Field(default=32, ge=8, le=32)
    request_id_header: bool = False  # an incoming X-Request-Id becomes the id's suffix
    x_request_id_response: bool = False  # every response echoes X-Request-Id (0.6.4)
    tool_call_id_prefix: str = "chatcmpl-tool-"
    echo_requested_model: bool = True  # False: "model" is always the first served name
    # Requests
    model_required: bool = False
    unknown_fields: UnknownFields = UnknownFields.IGNORE
    request_fields: tuple[str, ...] = ()  # fields the release knows (used when rejecting)
    # each chat message validated against the release's union of message TypedDicts: a
    # message no member takes is a 400 listing every member's errors
    chat_message_union: ChatMessageUnion = ChatMessageUnion.NONE
    json_content_type_required: bool = False  # other content types are a 400
    # Non-streaming bodies: ordered keys, nulls included (model_dump)
    chat_response_keys: tuple[str, ...]
    chat_choice_keys: tuple[str, ...] = (
        "index",
        "message",
        "logprobs",
        "finish_reason",
        "stop_reason",
    )
    message_keys: tuple[str, ...]
    empty_tool_calls: bool = True  # plain answers carry "tool_calls": []
    usage_keys: tuple[str, ...] = (
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
        "prompt_tokens_details",
    )
    completion_response_keys: tuple[str, ...]
    completion_choice_keys: tuple[str, ...] = (
        "index",
        "text",
        "logprobs",
        "finish_reason",
        "stop_reason",
    )
    # Streaming chat
    role_chunk_content: bool = True  # role delta is {"role":"assistant","content":""}
    finish_chunk_drops_nulls: bool = False  # 0.4: exclude_none on the finish chunk
    # every chunk after the role chunk is dumped with exclude_none: no null anywhere, and the
    # delta keeps DeltaMessage's default "tool_calls": [] (0.9.0-0.9.1)
    chunk_exclude_none: bool = False
    chunk_null_keys: tuple[str, ...] = ()  # null keys on content/finish chunk choices
    role_chunk_null_keys: tuple[str, ...] = ()  # null top-level keys on the role chunk
    delta_null_keys: tuple[str, ...] = ()  # null keys on every delta (0.12 reasoning mirror)
    tool_finish_on_fragment: bool = False  # the last argument fragment rides the finish chunk
    stream_usage: StreamUsage = StreamUsage.ON_REQUEST
    null_usage_on_chunks: bool = False  # "usage": null on chunks when usage was requested
    stream_options_default_usage: bool = True  # "stream_options": {} turns usage on
    continuous_usage: ContinuousUsage = ContinuousUsage.CUMULATIVE
    stream_options: bool = True  # the request field exists (0.4: unknown, so rejected)
    continuous_usage_default: bool = False  # include_usage alone also means continuous
    stream_options_stream_error: str = "Stream options can only be defined when `stream=True`."
    stream_error_style: JsonStyle = JsonStyle.SPACED
    system_fingerprint: bool = False  # "vllm-<version>-<8 hex>" on bodies and the last chunk
    chunk_top_null_keys: tuple[str, ...] = ()  # null top-level keys on non-role chunks
    finish_choice_null_keys: tuple[str, ...] = ()  # null keys on the finish chunk's choice only
    continuous_usage_null_keys: tuple[str, ...] = ()  # null keys in continuous-usage "usage"
    # Streaming completions
    completion_chunk_keys: tuple[str, ...] = (
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
    )
    completion_chunk_null_keys: tuple[str, ...] = ()  # null keys on completion chunk choices
    # the first stream chunk's choice carries the prompt's token ids, asked for or not
    completion_first_chunk_prompt_ids: bool = False
    # Errors
    error_shape: ErrorShape = ErrorShape.NESTED
    validation_error_type: str = "Bad Request"
    validation_style: ValidationStyle = ValidationStyle.FASTAPI_REPR
    # fastapi_repr: the errors' list after str(exc) when the two differ (0.9.2-0.25)
    validation_appends_errors: bool = False
    # the FastAPI release of the environment (the newest the reference release's requirements
    # allow); --fastapi sets the deployment's own
    fastapi: str = "0.165.0"
    # what FastAPI >= 0.124 names for each body route: "PATH FILE:LINE FUNCTION", FILE under
    # site-packages (the registered callable's), LINE the route function's first decorator
    fastapi_endpoints: tuple[str, ...] = ()
    validation_param_loc: bool = False  # validation errors' param: the first error's dotted loc
    validation_param_clean: bool = False  # ... without pydantic's union and wrapper segments
    not_found_param: bool = False  # unknown model errors carry param "model" (0.14)
    not_found_lists_models: bool = False  # ... and "Valid aliases: ..." (0.32)
    # Tools
    tools: bool = True  # the release knows tools / tool_choice at all
    tool_choice_strings: tuple[str, ...] = ("none", "auto", "required")  # accepted strings
    tool_choice_string_error: str = ""  # validator message for other strings ({value}: it)
    tools_default_auto: bool = True  # tools without tool_choice mean "auto"
    stop_hold_back: bool = False  # streams hold back len(longest stop) - 1 chars to the end
    empty_tools: EmptyTools = EmptyTools.OMITTED
    auto_tools_need_flags: bool = True  # "auto" without the parser flags is a 400
    parserless_tool_choice: ParserlessToolChoice = ParserlessToolChoice.DESCRIBED
    parameter_errors: bool = True  # VLLMValidationError: "(parameter=..., value=...)", param set
    reasoning_tokens_details: bool = True  # a reasoning parser fills completion_tokens_details
    named_tool_stream: NamedToolStream = NamedToolStream.FRAGMENTS
    # 0.6.0-0.6.2: with auto tool parsing on, a streamed named tool_choice raises at its finish
    # step (an IndexError): the deltas, then the connection drops (no finish chunk, no [DONE])
    named_tool_stream_finish_crash: bool = False
    # a streamed named tool_choice ends with finish_reason "tool_calls" (the body says "stop")
    named_tool_stream_finish_tool_calls: bool = False
    # tool_choice "required" answered as the guided JSON list ends with finish_reason
    # "tool_calls" in a stream (0.10.2) and in a body (0.11.1), where it said "stop"
    required_stream_finish_tool_calls: bool = False
    required_finish_tool_calls: bool = False
    required_stream: RequiredStream = RequiredStream.ID_HEADER
    # a stream's finish step with nothing to send still sends the finish chunk, its delta empty
    # (0.10.2); before, the step is skipped and the choice never says finish_reason
    empty_finish_chunk: bool = False
    # a named or "required" tool_choice is constrained by the tool parser's structural tag: the
    # model writes the parser's own block (hermes <tool_call>), read back as "auto" reads it (0.24)
    named_tool_choice_parsed: bool = False
    # the tool parser's stream deltas set content (None) beside tool_calls, and the EOS step
    # after them is an empty delta (0.20)
    tool_parser_delta_content_null: bool = False
    # the hermes parser's own argument fragments before its 0.20 rewrite
    hermes_stream: HermesStream = HermesStream.REWRITTEN
    # Reasoning: keys that carry parsed reasoning text, on messages and deltas
    reasoning_keys: tuple[str, ...] = ("reasoning",)
    # a chat stream without a tool parser sends the </think> step as {"content": ""} (0.22-0.23)
    reasoning_end_content_chunk: bool = False
    # /version: what a release's PyPI wheel says instead of its own number (release -> version):
    # a wheel built from a checkout setuptools_scm named otherwise (0.6.2), or with no
    # vllm/_version.py, so that version.py falls back to "dev" (0.6.3)
    wheel_versions: dict[str, str] = Field(default_factory=dict)
    # /v1/models
    model_card_root_served_name: bool = False  # "root" is the first served name, not --model
    model_card_keys: tuple[str, ...] = (
        "id",
        "object",
        "created",
        "owned_by",
        "root",
        "parent",
        "max_model_len",
        "permission",
    )

    @field_validator("fastapi")
    @classmethod
    def _a_fastapi_release(cls, value: str) -> str:
        try:
            Version(value)
        except InvalidVersion:
            raise ValueError(f"fastapi: not a release number: {value!r}") from None
        return value


class BaseProfile(BaseModel):
    """What every backend's profile has: a named knob set for a release range, with where
    each fact comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # as Knobs

    name: str
    backend: str
    versions: str  # a PEP 440 specifier set, e.g. ">=0.9,<0.10"
    reference: str  # the release the facts were read from
    summary: str
    sources: dict[str, str] = Field(default_factory=dict)
    knobs: BaseModel


class Profile(BaseProfile):
    """A vLLM profile."""

    backend: str = "vllm"
    knobs: Knobs

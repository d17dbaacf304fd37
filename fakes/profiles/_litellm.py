"""The typed, declarative description of one LiteLLM proxy release range."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fakes.profiles._model import BaseProfile


class ModelField(StrEnum):
    ALIAS = "alias"  # the config's model_name
    PROVIDER = "provider"  # litellm_params.model, e.g. "hosted_vllm/x"
    UPSTREAM = "upstream"  # the upstream chunk's own "model" (the provider's on usage chunks)


class UsageChunk(StrEnum):
    EMPTY_CHOICES = "empty_choices"  # "choices": []
    EMPTY_DELTA = "empty_delta"  # "choices": [{"index":0,"delta":{}}]


class MidStreamError(StrEnum):
    """What an upstream error frame in the middle of a stream becomes."""

    INTERNAL_ERROR_THEN_DONE = "internal_error_then_done"  # 500 frame, then [DONE]
    FALLBACK_503_NO_DONE = "fallback_503_no_done"  # MidStreamFallbackError 503, no [DONE]
    # read as a chunk without id or choices: a fresh id from then on, choices [] (with
    # include_usage), and the stream goes on to its end
    READ_AS_CHUNK = "read_as_chunk"


class UpstreamCut(StrEnum):
    """What a cut upstream connection becomes."""

    ERROR_FRAME = "error_frame"  # an in-band APIConnectionError, then [DONE]
    INVENTED_STOP = "invented_stop"  # swallowed: ends as a natural stream, "stop" if unfinished


class UpstreamErrorFormat(StrEnum):
    # "... - <upstream body>\n\nLiteLLM: model group 'X' failed with the error above. ..."
    MODEL_GROUP_FOOTER = "model_group_footer"
    # "... - <upstream message>. Received Model Group=X\nAvailable Model Group Fallbacks=None"
    RECEIVED_MODEL_GROUP = "received_model_group"


class MissingMessages(StrEnum):
    BAD_REQUEST = "bad_request"  # 400 with param "messages"
    ROUTER_500 = "router_500"  # 500 "Router.acompletion() missing 1 required ..."


class ResponsesMode(StrEnum):
    FORWARD = "forward"  # POST {api_base}/responses, errors wrapped as for chat
    BRIDGE = "bridge"  # converted to a chat call upstream


class TimeoutWording(StrEnum):
    """How a deployment's ``timeout`` (``stream_timeout``) error reads."""

    # LiteLLM's own HTTP handler: "Read timed out. Timeout passed=T, time taken=X seconds";
    # a stream's "Timeout on reading data from socket"; Deployment Info of three lines
    READ_TIMED_OUT = "read_timed_out"
    # the openai client's APITimeoutError: "... - timeout value=T, time taken=X seconds";
    # Deployment Info of two lines
    OPENAI_CLIENT = "openai_client"


class KeyLimiter(StrEnum):
    """How a key's rpm_limit / tpm_limit / max_parallel_requests are enforced (the proxy's
    parallel request limiter)."""

    # a 60 s window opened by the key's first request: requests counted (a refused one too),
    # tokens reserved up front (the prompt's characters / 4 plus an output budget, which also
    # caps max_tokens under a small tpm_limit) and settled with the answer's usage; in-flight
    # slots; a 429 "Rate limit exceeded for api_key: <hash>. Limit type: ..."
    SLIDING_WINDOW = "sliding_window"
    # counters per key and minute, checked before the call (requests in flight, this minute's
    # requests and tokens, each below its limit), tokens added after it; a 429 "LiteLLM Rate
    # Limit Handler for rate limit type = key. ..." with retry-after to the next minute
    PER_MINUTE = "per_minute"


class DeploymentSlots(StrEnum):
    """What an attempt does when its deployment's max_parallel_requests are all in flight."""

    REFUSE = "refuse"  # a 429 RateLimitError, the attempt's failure
    QUEUE = "queue"  # waits for a slot (an asyncio.Semaphore)


class HealthEntries(StrEnum):
    """What the keyed /health lists of each deployment."""

    DISPLAY = "display"  # api_base, model (and the probe's error): model_id closes each entry
    # the deployment's litellm_params as the router holds them, with the probe's metadata;
    # an error carries a stack trace, the probe's raw request shown unmasked
    PARAMS = "params"


class LitellmKnobs(BaseModel):
    """Every quirk of a LiteLLM proxy release range, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # /v1/messages: the Anthropic adapter in front of the upstream's chat completions
    messages_anthropic_errors: bool = True  # errors as {"type": "error", "error": {...}}
    # ... the key check's too: a missing, malformed or unknown key (False: the proxy's own
    # error body, as on chat: the key is checked before the route's Anthropic error mapping)
    messages_auth_anthropic: bool = True
    messages_body_model: ModelField = ModelField.ALIAS
    messages_stop_details: bool = True  # the body ends with "stop_details": null
    messages_start_compact: bool = True  # message_start compact (False: spaced)
    messages_start_cache_tokens: bool = True  # message_start's usage has cache counts (0)
    messages_start_model: ModelField = ModelField.ALIAS
    # an upstream delta's empty content or arguments ("") is a delta event of its own (the
    # content "" of a chunk that finishes is not); a role chunk's "" opens the text block
    messages_empty_deltas: bool = False
    # a plain body's tool_use block ends with "provider_specific_fields": null
    messages_tool_provider_fields: bool = False
    messages_usage_total: bool = False  # a plain body's usage adds total_tokens
    messages_text_block_first: bool = False  # a text block opens every stream, tools or not
    messages_tool_header_delta: bool = False  # the tool_use start is followed by partial_json ""
    # a tool-call delta with empty arguments still gives partial_json "" (False: none)
    messages_empty_arguments_delta: bool = False
    messages_trailing_empty_delta: bool = False  # a text_delta "" after the last block stop
    # without anthropic errors: the unknown-model 400 quotes the route's own text
    # ("anthropic_messages: Invalid model name ... for your key."; False: 1.74's "completion: ...")
    messages_unknown_model_route: bool = False
    # on the unknown-model 400 and the missing-max_tokens 400
    messages_unknown_model_headers: tuple[str, ...] = (
        "x-litellm-call-id", "x-litellm-version", "x-litellm-response-cost",
        "x-litellm-key-spend",
    )  # fmt: skip
    messages_missing_max_tokens_headers: tuple[str, ...] = ("x-litellm-call-id",)
    # without anthropic errors: the missing-max_tokens 500 comes from the routed call, after a
    # deployment was picked (its id in the headers; a cooled-down group answers the 429 first)
    messages_missing_max_tokens_routed: bool = False
    messages_headers: tuple[str, ...] = (
        "x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-name", "x-litellm-version",
        "x-litellm-key-spend", "x-litellm-response-duration-ms",
        "x-litellm-overhead-duration-ms", "x-litellm-model-group",
        "x-litellm-attempted-retries", "x-litellm-attempted-fallbacks",
    )  # fmt: skip
    messages_stream_headers: tuple[str, ...] = (
        "x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-name",
        "x-litellm-model-api-base", "x-litellm-version", "x-litellm-response-cost-original",
        "x-litellm-response-cost-discount-amount", "x-litellm-response-cost-margin-amount",
        "x-litellm-response-cost-margin-percent", "x-litellm-response-cost-input",
        "x-litellm-response-cost-output", "x-litellm-response-cost-tool-usage",
        "x-litellm-key-spend", "x-litellm-response-duration-ms",
        "x-litellm-overhead-duration-ms", "x-litellm-callback-duration-ms",
        "x-litellm-model-group", "x-litellm-attempted-retries", "x-litellm-attempted-fallbacks",
    )  # fmt: skip

    # Errors
    auth_param: str | None = None  # 1.74: the string "None"
    # no key, or a key without "Bearer ": the catch-all 500 "Internal server error" (the auth
    # handler imports prisma, which pip's litellm[proxy] lacks; _unhandled.py), after which
    # the connection closes
    auth_errors_unhandled: bool = False
    typed_errors: bool = True  # False: router errors carry type/param "None", upstream null
    unknown_model_dict_repr: bool = False  # message is "{'error': '...'}"
    unknown_model_provider_fields: bool = True  # error.provider_specific_fields.error
    unknown_model_typed: bool = True  # False: type and param the string "None"
    missing_messages: MissingMessages = MissingMessages.BAD_REQUEST
    upstream_error_format: UpstreamErrorFormat = UpstreamErrorFormat.MODEL_GROUP_FOOTER
    # RECEIVED_MODEL_GROUP quotes the upstream's whole error body (False: its message)
    upstream_error_body: bool = False
    cooldown_retry_after: bool = True  # the 429 carries retry-after
    # an upstream 400 LiteLLM reads as a content-policy refusal is a ContentPolicyViolationError:
    # named so in the message, not retried, and sent to content_policy_fallbacks alone
    content_policy_errors: bool = True
    # ... and, with no content-policy fallback for its group, its message repeats the refusal
    # after "\nError doing the fallback: "
    content_policy_fallback_note: bool = False
    cooldown_list_detail: bool = False  # cooldown_list shows (id, {exception...}) tuples
    # the 429 says "All deployments for selected model are in cooldown." before "Passed model="
    cooldown_all_note: bool = True
    # the router counts only a request's first failed attempt toward allowed_fails and its
    # cooldown (the request's retries share one logging object, which reports one failure)
    cooldown_first_failure_only: bool = False
    # an error whose group has no fallback while others have some: "No fallback model group
    # found for original model_group=G. Fallbacks=[...]" and it all again after "Error doing
    # the fallback: " (False: 1.110's own wording, proven separately)
    no_fallback_note: bool = False
    # usage-based-routing-v2: x-ratelimit-remaining-* count the answered call itself
    usage_headers_count_this_call: bool = True
    # usage-based-routing-v2: a stream's tokens, counted once it has ended, hold back the
    # deployment's tpm (False: only the group's x-ratelimit-* headers see them)
    stream_tokens_limit: bool = False
    # ... and are the proxy's own estimate unless the client asked for usage (False: the
    # upstream's usage)
    stream_tokens_estimated: bool = False
    # per-key limits (general_settings.llm_fakes_keys; the real proxy's custom_auth)
    key_limiter: KeyLimiter = KeyLimiter.SLIDING_WINDOW
    # the headers of a key's rate-limit 429 after its own (retry-after, ...)
    key_limit_headers: tuple[str, ...] = (
        "x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-name",
        "x-litellm-response-cost", "x-litellm-key-spend",
    )  # fmt: skip
    # a deployment's max_parallel_requests (else its rpm, else its tpm) all in flight
    deployment_slots: DeploymentSlots = DeploymentSlots.REFUSE
    # least-busy sees the requests in flight (False: every pick is the group's first)
    least_busy_counts_in_flight: bool = True
    # Non-streaming bodies
    response_model: ModelField = ModelField.ALIAS
    keep_null_fields: bool = False  # system_fingerprint, tool_calls, ... stay as nulls
    choice_passthrough: tuple[str, ...] = ("logprobs", "stop_reason")  # upstream choice keys
    # vLLM's stop_reason and token_ids repeated on the choice (a stop string's stop_reason
    # included), as 1.110's VLLM_CHOICE_FIELDS; False: only in provider_specific_fields
    choice_vllm_fields: bool = True
    # the choice carries the upstream's own choice keys as provider_specific_fields ({} when
    # there are none); False: no such key at all
    choice_provider_fields: bool = True
    # ... False and this: the upstream's non-null choice keys still land there (a stop string)
    choice_nonnull_provider_fields: bool = False
    # an upstream's prompt_tokens_details dict read into litellm's PromptTokensDetailsWrapper,
    # dumped with these keys in this order (nulls included): /v1/completions bodies, and chat
    # bodies where null fields stay (keep_null_fields)
    prompt_details_keys: tuple[str, ...] = (
        "audio_tokens", "cached_tokens", "image_tokens", "text_tokens", "video_tokens",
        "initial_prompt_tokens",
    )  # fmt: skip
    # vLLM's "reasoning" (0.12+) in a message becomes "reasoning_content"; 1.110 also keeps it
    # under provider_specific_fields, with the upstream's "refusal"
    message_reasoning_extras: bool = True
    # ... and the upstream's "refusal" stays on the message (False: it joins the reasoning in
    # provider_specific_fields, as a key litellm's Message does not declare)
    message_refusal_field: bool = True
    # the message's reasoning also lands in provider_specific_fields as reasoning_content
    message_reasoning_provider_field: bool = False
    # the upstream message's non-null keys litellm's Message lacks (vLLM 0.12+'s reasoning) and
    # its reasoning text land in the message's provider_specific_fields
    message_nonnull_provider_fields: bool = False
    message_null_content_last: bool = True  # tool calls with content null: content last
    # an answer whose system_fingerprint is "fp_ollama" gets an id of the proxy's own
    # (chatcmpl-<uuid>), the upstream's as provider_specific_fields.original_response_id; a
    # stream also passes the upstream's usage chunk on as an empty delta and always ends with
    # a usage chunk (choices [] if asked for, else one empty delta)
    ollama_response_ids: bool = True
    # Streaming
    empty_role_chunk: bool = True  # False: the role rides on the next chunk
    holds_one_chunk: bool = False  # a chunk goes out when the next arrives (the last at the end)
    chunk_stop_reason: bool = True  # an upstream "stop_reason" key stays on the choice
    # the upstream's system_fingerprint is read from its chunks (and then on every chunk made)
    chunk_fingerprint: bool = True
    # a simple text chunk (one choice, role/content only, no fingerprint or usage) is written
    # by a fast serializer: id, object, created, model, choices [{index, delta, finish_reason}]
    chunk_fast_serializer: bool = False
    chunk_model: ModelField = ModelField.ALIAS  # content chunks (and an upstream's own finish)
    finish_chunk_model: ModelField = ModelField.ALIAS  # finish and usage chunks it makes
    usage_chunk: UsageChunk = UsageChunk.EMPTY_CHOICES
    # an upstream chunk without choices or usage (a content-filter chunk) passed on with
    # include_usage: its choices (None: as usage_chunk)
    filter_chunk: UsageChunk | None = None
    usage_text_tokens: bool = True  # completion_tokens_details.text_tokens
    # without text_tokens: a stream with tool calls and no reasoning still says
    # {"reasoning_tokens": 0} (False: no completion_tokens_details, as with text_tokens)
    usage_details_without_reasoning: bool = True
    stream_tool_calls_finish: bool = True  # a streamed "stop" after tool calls: "tool_calls"
    # the upstream's usage-only chunk passes on as {"index":0,"delta":{}} (with include_usage)
    usage_pre_finish_delta: bool = False
    hold_split_finish: bool = False  # a finish split from content waits for the next chunk
    tool_split_role: bool = False  # a last tool fragment split from its finish gains a role
    stream_reasoning_key: str | None = "reasoning_content"  # a delta's "reasoning"; None: dropped
    mid_stream_error: MidStreamError = MidStreamError.INTERNAL_ERROR_THEN_DONE
    # an upstream chunk with "choices": null fails the chunk parser: the stream ends with a
    # MidStreamFallbackError frame ("'NoneType' object is not iterable"), no [DONE]
    null_choices_error: bool = False
    upstream_cut: UpstreamCut = UpstreamCut.ERROR_FRAME
    # The usage estimate when an upstream reports none (litellm's own token counter)
    estimate_chunk_chars: int | None = 1024  # texts encoded in pieces this long; None: whole
    estimate_special_tokens_fail: bool = False  # "<|endoftext|>" in a prompt: the count fails, 0
    # Startup
    master_key_boot_check: bool = True  # refuse to start on an unset, empty or known key
    # What goes upstream
    drop_empty_tools: bool = True  # "tools": [] (and its tool_choice) is not forwarded
    upstream_body_rebuilt: bool = False  # no "stream": false, tool_choice before tools (1.74)
    # /v1/completions
    completions_alias: bool = True  # the alias in bodies; False: the upstream model, fresh
    # chatcmpl-<uuid> ids and zero usage on every streamed chunk (1.74)
    # ... and with it False, a stream's chunks keep the upstream's id (cmpl-...)
    completion_stream_upstream_id: bool = False
    # an upstream error on /v1/completions is named "OpenAIException - Error code: N - ..."
    # (its OpenAI text-completion client's) and carries no x-litellm headers
    completions_openai_errors: bool = False
    # a streamed chunk keeps the upstream's id and carries zero usage, no stop_reason (1.90)
    completions_chunk_usage: bool = False
    # a streamed chunk of a finished choice keeps vLLM's stop_reason (False: text, index and
    # finish_reason alone)
    completion_chunk_stop_reason: bool = True
    completion_headers: tuple[str, ...] = ()
    completion_stream_headers: tuple[str, ...] = ()
    # A deployment's timeout / stream_timeout ended an attempt: a 408 "litellm.Timeout"
    timeout_wording: TimeoutWording = TimeoutWording.READ_TIMED_OUT
    timeouts_cool_down: bool = False  # counted toward allowed_fails like any failure
    timeout_stream_headers: tuple[str, ...] = (
        "x-litellm-call-id", "x-litellm-model-id", "x-litellm-model-name",
        "x-litellm-response-cost", "x-litellm-response-cost-original",
        "x-litellm-response-cost-discount-amount", "x-litellm-response-cost-margin-amount",
        "x-litellm-response-cost-margin-percent", "x-litellm-response-cost-input",
        "x-litellm-response-cost-output", "x-litellm-response-cost-tool-usage",
        "x-litellm-key-spend",
    )  # fmt: skip
    # a stream's attempt returns at the upstream's headers, so its stream_timeout ends the
    # stream, not the attempt: a 503 MidStreamFallbackError frame, not retried (False: the
    # attempt waits for the first chunk, a timeout is retried and answered as a 408)
    stream_timeout_in_stream: bool = False
    # a stream whose first frame is an error is answered with that error's status
    first_chunk_error_status: bool = False
    # retry_policy / allowed_fails_policy honour their InternalServerError entries
    policy_internal_server_error: bool = True
    # The keyed /health
    health_entries: HealthEntries = HealthEntries.DISPLAY
    # a failing probe is sent again this often, with the openai SDK's backoff (its client's
    # own retries: the probe does not go through the router)
    health_probe_retries: int = 0
    # ?model= is matched against litellm_params.model before the group names (False: after)
    health_model_by_provider_first: bool = False
    # Routes
    responses: ResponsesMode = ResponsesMode.FORWARD
    responses_error_version: bool = True  # /v1/responses errors add x-litellm-version
    responses_cooldown: bool = True  # a forwarded /v1/responses 404 cools the deployment down
    # a forwarded stream keeps the upstream's event: lines and ends as it does (False: data:
    # lines only, then data: [DONE], as the proxy's chat streams)
    responses_event_lines: bool = True
    # the response object inside created/in_progress/completed events names the alias
    # (UPSTREAM: the upstream's own model; the event's top-level model is the alias either way)
    responses_stream_model: ModelField = ModelField.ALIAS
    # a forwarded answer's headers (empty: chat_headers, stream_headers as for chat)
    responses_headers: tuple[str, ...] = ()
    responses_stream_headers: tuple[str, ...] = ()
    # an upstream error on /v1/responses (empty: upstream_error_headers as for chat)
    responses_upstream_error_headers: tuple[str, ...] = ()
    # a forwarded body's usage details as litellm's models declare them (nulls where the
    # upstream sent none), then the upstream's other keys; cache_write_tokens is declared after
    # cached_tokens_details in 1.110 (seen: vLLM 0.34 sends it)
    responses_input_details: tuple[str, ...] = (
        "audio_tokens", "cached_tokens", "cached_tokens_details", "cache_write_tokens",
        "image_tokens", "text_tokens", "video_tokens",
    )  # fmt: skip
    responses_output_details: tuple[str, ...] = ("audio_tokens", "reasoning_tokens", "text_tokens")
    # a forwarded body's function tools as openai's FunctionTool declares them, then the
    # upstream's other keys (None: 1.110's, with openai 3.63.0)
    responses_tool_fields: tuple[str, ...] | None = None
    # x-litellm-timeout of the router's generic calls, /v1/responses and /v1/messages (None:
    # /v1/responses 600.0 forwarded, 6000.0 bridged; /v1/messages 6000.0)
    generic_api_timeout: str | None = None
    # /v1/responses bridged to a chat call (responses: bridge), the answer converted back:
    # item and response statuses mapped from the finish reason (completed; incomplete for
    # length and content_filter); False: the finish reason is the item's status
    bridge_mapped_status: bool = False
    # an input message with content null is left out of the chat call (False: a 500)
    bridge_drops_none: bool = False
    bridge_text_config: bool = True  # text {"format": null, "verbosity": null}; False: {}
    # the reasoning item's id is rs_ and Python's hash() of its text (random per process);
    # False: the chat id and "_reasoning"
    bridge_reasoning_hash_id: bool = False
    bridge_usage_cost: bool = False  # the body's usage ends with "cost": null
    # usage details from the chat usage's prompt/completion_tokens_details (False: nulls)
    bridge_usage_details: bool = False
    # a function_call item's keys, in order (openai's ResponseFunctionToolCall as installed)
    bridge_function_call_keys: tuple[str, ...] = (
        "arguments", "call_id", "name", "type", "id", "status",
    )  # fmt: skip
    # a bridged stream opens with response.created, .in_progress, output_item.added and
    # content_part.added and closes with the three .done events, all read from the proxy's own
    # chat stream (a chat-form named tool_choice fails response.created: a JSON 500 with
    # the pydantic traceback); False: only the deltas and response.completed
    bridge_stream_events: bool = False
    # a bridged stream's headers; None: the stream's, without the deployment's
    bridge_stream_headers: tuple[str, ...] | None = None
    models_max_tokens: bool = True  # /v1/models learns max_input/output_tokens upstream
    # what an openai/ model litellm knows (gpt-4o) shows of its cost-map entry on /v1/models
    models_known_fields: tuple[str, ...] = ("mode", "max_input_tokens", "max_output_tokens")
    readiness_detail: bool = False  # readiness lists cache, version, callbacks
    # ... these success callbacks, in order (the proxy's registered hooks)
    readiness_callbacks: tuple[str, ...] = (
        "sync_deployment_callback_on_success", "_PROXY_VirtualKeyModelMaxBudgetLimiter",
        "ForwardClientSideHeadersByModelGroup", "_PROXY_MaxBudgetLimiter",
        "_PROXY_MaxParallelRequestsHandler", "_PROXY_CacheControlCheck", "ServiceLogging",
    )  # fmt: skip
    # Response headers (names; "llm_provider-*" stands for the upstream's headers)
    chat_headers: tuple[str, ...] = ()
    stream_headers: tuple[str, ...] = ()
    mock_headers: tuple[str, ...] = ()
    mock_stream_headers: tuple[str, ...] = ()
    upstream_error_headers: tuple[str, ...] = ()
    router_error_headers: tuple[str, ...] = ()
    spend_tracked: bool = True  # x-litellm-key-spend shows a priced call's cost
    # an answer's x-litellm-response-cost is str() of its float cost, "0.0" when unpriced
    # (False: "0", as on errors)
    answer_cost_float: bool = False
    stream_cache_headers: bool = True  # cache-control: no-cache, x-accel-buffering: no
    security_headers: bool = True  # vary, x-frame-options, csp, x-content-type-options
    vary_origin: bool = False  # "vary: Origin" alone on every response, without the others
    server_header: bool = False  # uvicorn's "server: uvicorn"


class LitellmProfile(BaseProfile):
    """A LiteLLM proxy profile."""

    backend: str = "litellm"
    knobs: LitellmKnobs

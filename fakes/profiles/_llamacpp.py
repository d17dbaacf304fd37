"""The typed, declarative description of one llama.cpp ``llama-server`` build range."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fakes.profiles._model import BaseProfile


class StreamUsageMode(StrEnum):
    FINISH_CHUNK = "finish_chunk"  # usage always rides on the finish_reason chunk
    INCLUDE_USAGE = "include_usage"  # only with stream_options.include_usage: a chunk of its own


class StreamError(StrEnum):
    """How an error during a started (200) stream is written."""

    ERROR_EVENT = "error_event"  # "error: {...}" (an SSE line named error, no data: field)
    DATA_ERROR = "data_error"  # "data: {"error": {...}}"


class ToolSupport(StrEnum):
    UNSUPPORTED = "unsupported"  # "tools" in a chat body is an exception: 500 "Unsupported param"
    JINJA_PLAIN = "jinja_plain"  # with --jinja, non-streamed only ("Cannot use tools with stream")
    JINJA_STREAM = "jinja_stream"  # with --jinja, streamed tool-call deltas too


class FirstChunk(StrEnum):
    # no role delta at all: the "first token" test reads n_decoded after it was incremented
    NONE = "none"
    ROLE_NULL_CONTENT = "role_null_content"  # {"role","content":null}, then the first content


class LlamacppKnobs(BaseModel):
    """Every quirk of a llama-server build range, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system_fingerprint: bool = True  # "b<build>-<commit>" on bodies and chunks
    build_commit: str = "unknown"  # the commit in the fingerprint (a tree without git: unknown)
    timings: bool = True  # a "timings" object on the final body / last chunk
    stream_usage: StreamUsageMode = StreamUsageMode.INCLUDE_USAGE
    done_sentinel: bool = True  # a chat stream ends with data: [DONE]
    stream_error: StreamError = StreamError.DATA_ERROR
    done_after_error: bool = False  # data: [DONE] follows the error event
    tools: ToolSupport = ToolSupport.JINJA_STREAM
    jinja_default: bool = True  # --jinja is on unless --no-jinja
    slots_default: bool = True  # /slots answers unless --no-slots (else a 501)
    first_chunk: FirstChunk = FirstChunk.ROLE_NULL_CONTENT
    model_from_request: bool = False  # bodies echo the request's "model" (else the alias)
    default_model: str | None = None  # what a request without "model" echoes (None: the alias)
    tool_call_content: str | None = ""  # a message with only tool calls: content "" or null
    # the message's keys in the order the build writes them (ordered_json keeps insertion)
    message_keys: tuple[str, ...] = ("role", "content", "reasoning_content", "tool_calls")
    # a body that is not JSON: common_json_error is a 400 (b11434); nlohmann's reached the
    # exception handler, a 500, before
    parse_error_status: int = 400
    # a chat body without "messages": its status and message
    missing_messages_status: int = 400
    missing_messages: str = "'messages' is required"
    # 401 / 404 bodies the HTTP layer writes itself: their keys' order
    http_error_keys: tuple[str, ...] = ("message", "type", "code")
    cached_tokens: bool = True  # usage.prompt_tokens_details.cached_tokens
    reasoning_stream: bool = True  # reasoning_content deltas (--reasoning-format) in streams
    models_aliases: bool = True  # /v1/models data carries aliases, tags, architecture
    models_ollama_list: bool = True  # /v1/models also carries an Ollama-style "models" list
    health_v1: bool = True  # /v1/health, public like /health
    # paths --api-key leaves open (every other path, unknown ones included, needs the key)
    public_paths: tuple[str, ...] = ("/health", "/v1/health")


class LlamacppProfile(BaseProfile):
    """A llama.cpp llama-server profile."""

    backend: str = "llamacpp"
    knobs: LlamacppKnobs

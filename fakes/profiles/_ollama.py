"""The typed, declarative description of one Ollama release range (its OpenAI-compatible
layer and native API)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fakes.profiles._model import BaseProfile


class StreamTools(StrEnum):
    """What a streamed request with tools gets."""

    TEXT = "text"  # no parsing while streaming: the model's call text streams as content
    HELD = "held"  # content held back to the end; a parsed call arrives whole in one chunk
    INCREMENTAL = "incremental"  # content streams; each parsed call arrives whole


class UnknownModel(StrEnum):
    PULL_HINT = "pull_hint"  # model "x" not found, try pulling it first
    QUOTED = "quoted"  # model 'x' not found


class OllamaKnobs(BaseModel):
    """Every quirk of an Ollama release range, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream_tools: StreamTools = StreamTools.INCREMENTAL
    tool_call_index: bool = True  # "index" on each tool call (0.4.7)
    stream_usage: bool = True  # stream_options.include_usage honoured (0.5.2)
    stream_tool_finish: bool = True  # a streamed "stop" after tool calls says "tool_calls"
    # finish_reason on its own chunk with delta {}, role only on the first chunk (0.32.6)
    finish_chunk: bool = True
    responses: bool = True  # POST /v1/responses (0.13.3)
    error_type_by_status: bool = True  # /v1 error type from the status (else "api_error")
    unknown_model: UnknownModel = UnknownModel.QUOTED
    native_done_first: bool = True  # api.ChatResponse writes "done" before "done_reason"


class OllamaProfile(BaseProfile):
    """An Ollama profile."""

    backend: str = "ollama"
    knobs: OllamaKnobs

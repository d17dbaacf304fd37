"""The typed, declarative description of one SGLang release range."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from fakes.profiles._model import BaseProfile


class ChunkWriter(StrEnum):
    """How chat stream text chunks are serialized."""

    PYDANTIC = "pydantic"  # ChatCompletionStreamResponse.model_dump_json(): every key, nulls too
    MSGSPEC = "msgspec"  # sse_utils.build_sse_content: null role/content/usage keys omitted


class StreamFinish(StrEnum):
    """Where a chat stream says why it stopped."""

    # adapter.py (0.4): without include_usage every step's chunk carries the step's finish
    # (the EOS step's empty delta too); then one last chunk, delta all null, with the finish
    # reason and the usage (null unless asked for)
    ON_STEP_AND_FINAL = "on_step_and_final"
    SEPARATE_CHUNK = "separate_chunk"  # serving_chat.py (0.5): one finish chunk after the text


class SglangKnobs(BaseModel):
    """Every quirk of an SGLang release range, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chunk_writer: ChunkWriter = ChunkWriter.MSGSPEC
    stream_finish: StreamFinish = StreamFinish.SEPARATE_CHUNK
    role_chunk_content: str | None = ""  # the role chunk's delta.content (0.4: null)
    empty_content: str | None = ""  # a plain message whose text is empty (0.4-0.5.2: null)
    message_tool_calls_null: bool = False  # a plain message keeps "tool_calls": null
    continuous_usage_stats: bool = True  # stream_options.continuous_usage_stats is read
    usage_keys: tuple[str, ...] = (
        "prompt_tokens",
        "total_tokens",
        "completion_tokens",
        "prompt_tokens_details",
        "reasoning_tokens",
        "completion_tokens_details",
    )
    response_metadata: bool = True  # "metadata": {"weight_version": "default"} on plain bodies
    validation_status: int = 400  # a body the protocol rejects (0.4: an unhandled 500)
    model_card_keys: tuple[str, ...] = (
        "id",
        "object",
        "created",
        "owned_by",
        "root",
        "parent",
        "max_model_len",
    )
    # a non-streamed tool call's "index": its position, or -1 (0.5.2: parse_non_stream leaves
    # the detector's tool_index=-1 placeholder in place)
    plain_tool_call_index_unset: bool = False
    tool_call_id: str = "call_hex24"  # call_ + uuid4().hex[:24] | "call_b64": 22 urlsafe b64
    model_info_keys: tuple[str, ...] = ("model_path", "tokenizer_path", "is_generation")


class SglangProfile(BaseProfile):
    """An SGLang profile."""

    backend: str = "sglang"
    knobs: SglangKnobs

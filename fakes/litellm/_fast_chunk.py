"""The chat chunk some releases write without pydantic: a simple text chunk in a fixed key
order, the choice's other keys gone (litellm 1.90.7 proxy/proxy_server.py:7137-7225,
``_fast_serialize_simple_model_response_stream``)."""

from __future__ import annotations

from fakes.http import sse
from fakes.types import JSONObject

# a delta carrying any of these goes through model_dump_json instead (proxy_server.py:7167-7181)
_RICH_DELTA = (
    "function_call", "tool_calls", "audio", "images", "annotations", "reasoning_content",
    "thinking_blocks", "provider_specific_fields", "refusal",
)  # fmt: skip
_RICH_CHUNK = ("provider_specific_fields", "system_fingerprint", "usage")


def fast_chunk(chunk: JSONObject) -> JSONObject | None:
    """The chunk as the fast path writes it, or None where the release falls back."""
    if any(chunk.get(key) is not None for key in _RICH_CHUNK):
        return None
    choices = chunk.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or chunk.get("model") is None:
        return None
    choice = choices[0]
    delta = choice.get("delta") if isinstance(choice, dict) else None
    if not isinstance(delta, dict) or choice.get("logprobs") is not None:
        return None
    if any(delta.get(key) is not None for key in _RICH_DELTA):
        return None
    simple: JSONObject = {k: delta[k] for k in ("role", "content") if delta.get(k) is not None}
    out_choice: JSONObject = {"index": choice.get("index", 0), "delta": simple}
    if choice.get("finish_reason") is not None:
        out_choice["finish_reason"] = choice["finish_reason"]
    return {
        "id": chunk.get("id"),
        "object": chunk.get("object"),
        "created": chunk.get("created"),
        "model": chunk["model"],
        "choices": [out_choice],
    }


def encode(chunk: JSONObject, fast: bool) -> bytes:
    """One ``data:`` event for a chat chunk; ``fast``: through the fast path where it applies."""
    simple = fast_chunk(chunk) if fast else None
    return sse.data(chunk if simple is None else simple)

"""/v1/models and /get_model_info as SGLang writes them."""

from __future__ import annotations

from fakes.profiles._sglang import SglangKnobs
from fakes.types import JSONObject


def model_list(knobs: SglangKnobs, name: str, context_length: int, created: int) -> JSONObject:
    # ModelCard(id=served_model_name, root=served_model_name, max_model_len=context_len)
    card = {
        "id": name,
        "object": "model",
        "created": created,
        "owned_by": "sglang",
        "root": name,
        "parent": None,
        "max_model_len": context_length,
    }
    return {"object": "list", "data": [{k: card[k] for k in knobs.model_card_keys}]}


def model_info(
    knobs: SglangKnobs,
    model_path: str,
    served_model_name: str,
    tool_call_parser: str | None,
    reasoning_parser: str | None,
) -> JSONObject:
    """The server's defaults for a model it has no config for (model_type and architectures
    come from the model's own config.json on a real server: null here)."""
    every = {
        "model_path": model_path,
        "served_model_name": served_model_name,
        "tokenizer_path": model_path,
        "is_generation": True,
        "preferred_sampling_params": None,
        "weight_version": "default",
        "load_format": "auto",
        "reasoning_parser": reasoning_parser,
        "tool_call_parser": tool_call_parser,
        "disaggregation_mode": "null",
        "has_image_understanding": False,
        "has_audio_understanding": False,
        "model_type": None,
        "architectures": None,
    }
    return {key: every[key] for key in knobs.model_info_keys}

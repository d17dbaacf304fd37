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


def model_info(knobs: SglangKnobs, model_path: str) -> JSONObject:
    every = {"model_path": model_path, "tokenizer_path": model_path, "is_generation": True}
    return {key: every[key] for key in knobs.model_info_keys}

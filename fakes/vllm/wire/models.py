"""The ``/v1/models`` list: one card per served name, keys as the release dumps them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fakes.profiles import Knobs
from fakes.types import JSONObject


def model_list(
    knobs: Knobs,
    *,
    names: Sequence[str],
    root: str,
    max_model_len: int,
    created: int,
    new_hex: Callable[[], str],
) -> JSONObject:
    """The list body; each card takes a fresh permission id from ``new_hex``."""
    cards = []
    for name in names:
        permission = {
            "id": f"modelperm-{new_hex()}",
            "object": "model_permission",
            "created": created,
            "allow_create_engine": False,
            "allow_sampling": True,
            "allow_logprobs": True,
            "allow_search_indices": False,
            "allow_view": True,
            "allow_fine_tuning": False,
            "organization": "*",
            "group": None,
            "is_blocking": False,
        }
        values = {
            "id": name,
            "object": "model",
            "created": created,
            "owned_by": "vllm",
            "root": root,
            "parent": None,
            "max_model_len": max_model_len,
            "permission": [permission],
        }
        cards.append({k: values.get(k) for k in knobs.model_card_keys})
    return {"object": "list", "data": cards}

"""``/v1/completions`` bodies and stream chunks, keys and nulls as each release dumps them."""

from __future__ import annotations

from typing import Any

from fakes.http.shapes import shaped
from fakes.profiles import Knobs
from fakes.types import JSONObject
from fakes.vllm._plan import Plan
from fakes.vllm.wire import chat

FAKE_TOKEN_ID = 0


def completion_body(
    knobs: Knobs,
    *,
    id: str,
    created: int,
    model: str,
    plans: list[Plan],
    usage: JSONObject | None,
    fingerprint: str | None,
) -> JSONObject:
    """The non-streaming body."""
    # model_dump: every key the release's choice model has, in its order, nulls included
    choices = [
        shaped(
            knobs.completion_choice_keys,
            {
                "index": i,
                "text": "".join(p.content),
                "finish_reason": p.finish_reason,
                "stop_reason": p.stop_reason,
            },
            {},
        )
        for i, p in enumerate(plans)
    ]
    values = {
        "id": id,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": choices,
        "usage": usage,
        "system_fingerprint": fingerprint,
    }
    return {k: values.get(k) for k in knobs.completion_response_keys}


def chunks(
    knobs: Knobs,
    *,
    id: str,
    created: int,
    model: str,
    plan: Plan,
    prompt: int,
    policy: chat.StreamUsagePolicy,
    fingerprint: str | None,
) -> list[JSONObject]:
    """Every chunk of the stream, in order (one per generated token, then any usage)."""
    head_values = {"id": id, "object": "text_completion", "created": created, "model": model}
    head = {k: head_values[k] for k in knobs.completion_chunk_keys if k in head_values}
    out: list[JSONObject] = []
    generated = 0
    # one chunk per generated token; the EOS (or stop-string) token ends the stream on its
    # own chunk with empty text (0.12.0 and 0.34.0, the reference harness)
    steps = [(piece, 1) for piece in plan.content]
    if plan.finish_reason != "length" or not steps:
        steps.append(("", 1 if plan.finish_reason != "length" else 0))
    for position, (piece, counted) in enumerate(steps):
        last = position == len(steps) - 1
        generated += counted
        choice = {
            "index": 0,
            "text": piece,
            "logprobs": None,
            "finish_reason": plan.finish_reason if last else None,
            "stop_reason": plan.stop_reason if last else None,
        }
        for key in knobs.completion_chunk_null_keys:
            choice[key] = None
        if position == 0 and knobs.completion_first_chunk_prompt_ids:
            # one id per prompt token; the fake has no vocabulary, so every id is the same
            choice["prompt_token_ids"] = [FAKE_TOKEN_ID] * prompt
        chunk: dict[str, Any] = {**head, "choices": [choice]}
        if policy.continuous is not None or (last and policy.in_finish_chunk):
            chunk["usage"] = chat.usage(knobs, prompt, generated, stream=True)
        elif "usage" in knobs.completion_chunk_keys:
            chunk["usage"] = None  # exclude_unset=False (up to 0.20)
        if last and fingerprint is not None and not policy.final_chunk:
            chunk["system_fingerprint"] = fingerprint
        for key in knobs.chunk_top_null_keys:
            chunk[key] = None
        out.append(chunk)
    if policy.final_chunk:
        final = {**head, "choices": [], "usage": chat.usage(knobs, prompt, generated, stream=True)}
        if fingerprint is not None:
            final["system_fingerprint"] = fingerprint
        out.append(final)
    return out

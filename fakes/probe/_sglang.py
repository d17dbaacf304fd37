"""Telling SGLang from vLLM, and its releases apart: what its answers to the probe set show."""

from __future__ import annotations

from typing import Any

from fakes.probe._observe import Observed
from fakes.probe._probes import Run


def is_sglang(run: Run) -> bool:
    """SGLang's ModelCard says owned_by "sglang" (vLLM's says "vllm")."""
    models = run.exchanges.get("models")
    listing = models.json() if models is not None else None
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return False
    return data[0].get("owned_by") == "sglang"


def _chunks(run: Run, probe: str) -> list[dict[str, Any]]:
    exchange = run.exchanges.get(probe)
    if exchange is None or exchange.status != 200:
        return []
    return [e for e in exchange.events() if isinstance(e, dict) and e.get("choices") is not None]


def observe_sglang(run: Run) -> Observed:
    observed = Observed()
    models = run.exchanges.get("models")
    if models is not None and isinstance(models.json(), dict):
        card = models.json()["data"][0]
        observed.add("model_card_keys", tuple(card), "models: " + ", ".join(card))
    chat = run.exchanges.get("chat")
    body = chat.json() if chat is not None and chat.status == 200 else None
    if isinstance(body, dict) and body.get("choices"):
        observed.add("response_metadata", "metadata" in body, "chat: body keys " + ", ".join(body))
        usage = body.get("usage") or {}
        observed.add("usage_keys", tuple(usage), "chat: usage keys " + ", ".join(usage))
        message = body["choices"][0].get("message") or {}
        observed.add(
            "message_tool_calls_null",
            "tool_calls" in message and message["tool_calls"] is None,
            "chat: message keys " + ", ".join(message),
        )
    stream = _chunks(run, "stream")
    if stream:
        delta = stream[0]["choices"][0].get("delta") or {}
        writer = "pydantic" if "tool_calls" in delta else "msgspec"
        observed.add("chunk_writer", writer, "stream: role delta keys " + ", ".join(delta))
        observed.add("role_chunk_content", delta.get("content"), f"stream: role delta {delta}")
        finishes = [c["choices"][0].get("finish_reason") for c in stream if c["choices"]]
        twice = sum(f is not None for f in finishes) > 1
        observed.add(
            "stream_finish",
            "on_step_and_final" if twice else "separate_chunk",
            f"stream: finish reasons {finishes}",
        )
    continuous = _chunks(run, "stream-continuous")
    if continuous:
        first_text = next(
            (c for c in continuous if c["choices"] and c["choices"][0]["delta"].get("content")),
            None,
        )
        counted = first_text is not None and isinstance(first_text.get("usage"), dict)
        observed.add(
            "continuous_usage_stats",
            counted,
            "stream-continuous: usage on a text chunk" if counted else "stream-continuous: none",
        )
    return observed

"""Is it llama.cpp's llama-server, and which build's quirks does it show? Read off the
ordinary probe run: a ``timings`` object, a "b<build>-<commit>" fingerprint or an
``owned_by: llamacpp`` model card tell it apart; the knobs below tell builds apart."""

from __future__ import annotations

import re
from typing import Any

from fakes.probe._client import Exchange
from fakes.probe._observe import Observed
from fakes.probe._probes import Run

_FINGERPRINT = re.compile(r"^b(\d+)-")


def _json(exchange: Exchange | None) -> dict[str, Any]:
    value = exchange.json() if exchange is not None and exchange.status == 200 else None
    return value if isinstance(value, dict) else {}


def _chunks(exchange: Exchange | None) -> list[dict[str, Any]]:
    if exchange is None or exchange.status != 200:
        return []
    return [e for e in exchange.events() if isinstance(e, dict)]


def is_llamacpp(run: Run) -> bool:
    chat, models = _json(run.get("chat")), _json(run.get("models"))
    data = models.get("data")
    cards: list[Any] = data if isinstance(data, list) else []
    owned = any(isinstance(c, dict) and c.get("owned_by") == "llamacpp" for c in cards)
    fingerprint = str(chat.get("system_fingerprint") or "")
    return "timings" in chat or owned or bool(_FINGERPRINT.match(fingerprint))


def build_of(run: Run) -> int | None:
    match = _FINGERPRINT.match(str(_json(run.get("chat")).get("system_fingerprint") or ""))
    return int(match.group(1)) if match else None


def observe_llamacpp(run: Run) -> Observed:
    observed = Observed()
    chat = _json(run.get("chat"))
    if chat:
        fingerprint = chat.get("system_fingerprint")
        observed.add("system_fingerprint", fingerprint is not None, f"chat: {fingerprint!r}")
        observed.add("timings", "timings" in chat, "chat: timings " + str("timings" in chat))
        raw = chat.get("usage")
        usage: dict[str, Any] = raw if isinstance(raw, dict) else {}
        observed.add(
            "cached_tokens", "prompt_tokens_details" in usage, f"chat: usage keys {list(usage)}"
        )
    else:
        observed.skip("system_fingerprint", "no plain chat answer")
    stream = _chunks(run.get("stream"))
    if stream:
        done = run.get("stream")
        ended = done is not None and done.body.rstrip().endswith(b"data: [DONE]")
        observed.add("done_sentinel", ended, f"stream: ends with [DONE]: {ended}")
        finish = next((c for c in stream if (c.get("choices") or [{}])[0].get("finish_reason")), {})
        mode = "finish_chunk" if "usage" in finish else "include_usage"
        observed.add(
            "stream_usage", mode, f"stream: usage on the finish chunk: {'usage' in finish}"
        )
        first = (stream[0].get("choices") or [{}])[0].get("delta") or {}
        style = "role_null_content" if "role" in first else "none"
        observed.add("first_chunk", style, f"stream: first delta {first}")
    models = _json(run.get("models"))
    data = models.get("data")
    cards: list[Any] = data if isinstance(data, list) else []
    if cards and isinstance(cards[0], dict):
        observed.add("models_aliases", "aliases" in cards[0], f"models: card keys {list(cards[0])}")
        observed.add("models_ollama_list", "models" in models, f"models: keys {list(models)}")
    build = build_of(run)
    if build is not None:
        observed.note("build", f"b{build}", "chat: system_fingerprint")
    return observed

"""A LiteLLM proxy in front: tell its layer apart (``x-litellm-*`` headers, wrapped upstream
errors), measure its knobs, and what of the vLLM behind it gets through the re-framing."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from fakes.probe._client import Exchange
from fakes.probe._observe import (
    Observed,
    data_chunks,
    error_parts,
    evidence,
    observe_vllm,
)
from fakes.probe._probes import Run

# "litellm.BadRequestError: [BadRequestError: ]Hosted_vllmException - <upstream>" then
# "\n\nLiteLLM: model group ..." (1.110: the upstream body) or ". Received Model Group=..."
# (1.74: the upstream message only).
_WRAPPED = re.compile(
    r"litellm\.(?P<kind>\w+): (?:\w+: )?\w+Exception - (?P<upstream>.*?)"
    r"(?:\n\nLiteLLM: model group|\. Received Model Group=)",
    re.DOTALL,
)
# 1.74 labels its own client-side failures as the provider's, in a connection error
# ("APIConnectionError: Hosted_vllmException - 'str' object has no attribute 'get'"):
# the upstream never answered.
_PROXY_SIDE = ("APIConnectionError",)
# Knobs read from an error probe: only when the upstream's answer came through.
_ERROR_SOURCES = {
    "stream_options_stream_error": "stream-options-no-stream",
    "validation_style": "invalid",
    "error_shape": "invalid",
    "validation_error_type": "invalid",
    "validation_param_loc": "invalid",
}

# vLLM knobs that a proxy passes through: the upstream's ids and, from wrapped error
# messages, its validation and tool-choice answers. Everything else is re-framed.
THROUGH_PROXY = (
    "chat_id_prefix",
    "id_hex_length",
    "tools",
    "tool_call_id_prefix",
    "tool_choice_strings",
    "tool_choice_string_error",
    "auto_tools_need_flags",
    "tools_default_auto",
    "stream_options_stream_error",
    "validation_style",
    "error_shape",
    "validation_error_type",
    "validation_param_loc",
    "responses",
)
_SHAPE_KNOBS = ("error_shape", "validation_error_type", "validation_param_loc")


def _present(value: object) -> str:
    return "absent" if value == "absent" else "present"


def is_litellm(run: Run) -> bool:
    return any(
        name.startswith("x-litellm-") for e in run.exchanges.values() for name in e.header_names()
    )


def upstream_text(exchange: Exchange) -> str | None:
    """The upstream's own error text inside a LiteLLM-wrapped error, if any."""
    parts = error_parts(exchange.json())
    if parts is None:
        return None
    match = _WRAPPED.search(str(parts.get("message") or ""))
    if match is None or match.group("kind") in _PROXY_SIDE:
        return None
    return match.group("upstream")


def _unwrapped(exchange: Exchange) -> tuple[Exchange, bool] | None:
    """The upstream's answer as a plain exchange; True when its whole body came through."""
    text = upstream_text(exchange)
    if text is None:
        return None
    code = (error_parts(exchange.json()) or {}).get("code")
    try:
        status = int(code) if code is not None else exchange.status
    except ValueError:
        status = exchange.status
    try:
        body = json.loads(text)
        whole = isinstance(body, dict)
    except ValueError:
        whole = False
    if not whole:
        body = {"error": {"message": text, "type": None, "param": None, "code": status}}
    raw = json.dumps(body, separators=(",", ":")).encode()
    return replace(exchange, status=status, body=raw, error=None), whole


def observe_upstream(run: Run) -> Observed:
    """The vLLM knobs visible through the proxy; the rest is listed as re-framed."""
    exchanges = dict(run.exchanges)
    whole: dict[str, bool] = {}
    for name, exchange in run.exchanges.items():
        found = _unwrapped(exchange)
        if found is not None:
            exchanges[name], whole[name] = found
        elif exchange.status is None or exchange.status >= 400:
            del exchanges[name]  # the proxy's own answer says nothing about the upstream
    # The real proxy answers a malformed body itself; the upstream's 400 for stream_options
    # without stream is a validation error too, with the same shape and type.
    if not whole.get("invalid") and whole.get("stream-options-no-stream"):
        exchanges["invalid"] = exchanges["stream-options-no-stream"]
        whole["invalid"] = True
    seen = observe_vllm(replace(run, exchanges=exchanges))
    out = Observed(info={})
    for knob, observation in seen.knobs.items():
        if knob not in THROUGH_PROXY:
            out.skip(knob, "re-framed by the LiteLLM proxy")
        elif knob in _ERROR_SOURCES and _ERROR_SOURCES[knob] not in whole:
            out.skip(knob, "the proxy answered this probe itself (or dropped the field)")
        elif knob in _SHAPE_KNOBS and not whole.get("invalid"):
            out.skip(knob, "the proxy wraps only the upstream's message, not its body")
        elif knob == "responses" and observation.value != "absent":
            if (
                run.exchanges["responses"].json() is None
                or (run.exchanges["responses"].json() or {}).get("object") != "response"
            ):
                out.skip(knob, "the proxy answers /v1/responses itself (a bridge to chat)")
            else:
                out.add(
                    knob,
                    "present",
                    evidence(run.exchanges["responses"]),
                    project=_present,
                    expressible=False,
                    note="streaming is re-framed by the proxy: only presence compared",
                )
        else:
            out.knobs[knob] = observation
    for knob, why in seen.unobserved.items():
        if knob in THROUGH_PROXY:
            out.skip(knob, why)
        else:
            out.skip(knob, "re-framed by the LiteLLM proxy")
    for knob in THROUGH_PROXY:
        if knob not in out.knobs:
            out.skip(knob, "the proxy answered these probes itself")
    return out


# --- the proxy's own knobs --------------------------------------------------------------------


def collapse(names: list[str]) -> tuple[str, ...]:
    """``x-litellm-*`` names in order, a run of upstream ``llm_provider-*`` names as one."""
    out: list[str] = []
    for name in names:
        if name.startswith("llm_provider-"):
            if not out or out[-1] != "llm_provider-*":
                out.append("llm_provider-*")
        elif name.startswith("x-litellm-"):
            out.append(name)
    return tuple(out)


def _headers(seen: Observed, knob: str, exchange: Exchange | None) -> None:
    if exchange is None or exchange.status is None:
        seen.skip(knob, "no answer to read the headers from")
        return
    names = collapse(exchange.header_names())
    seen.add(knob, names, evidence(exchange, "headers: " + ", ".join(names)))


def _model(value: Any, alias: str) -> str:
    return "alias" if value == alias else "provider"


def observe_litellm(run: Run) -> Observed:
    seen = Observed()
    chat = run.exchanges["chat"]
    body = chat.json()
    choice = (body.get("choices") or [{}])[0]
    seen.add(
        "response_model",
        _model(body.get("model"), run.model),
        evidence(chat, f'"model":"{body.get("model")}"'),
    )
    # top-level nulls only: 1.110 passes the upstream message's "refusal": null through, and
    # a 0.12+ upstream's "system_fingerprint": null (seen in the conformance recordings)
    nulls = [k for k, v in body.items() if v is None and k != "system_fingerprint"]
    seen.add("keep_null_fields", bool(nulls), evidence(chat))
    seen.add(
        "choice_passthrough",
        tuple(k for k in choice if k in ("logprobs", "stop_reason")),
        evidence(chat, json.dumps(choice, separators=(",", ":"))),
    )
    _headers(seen, "chat_headers", chat)
    seen.add(
        "security_headers",
        "x-frame-options" in chat.header_names(),
        evidence(chat, "headers: " + ", ".join(chat.header_names())),
    )
    seen.add(
        "server_header",
        chat.header("server") is not None,
        evidence(chat, f"server: {chat.header('server')}"),
    )
    _stream(run, seen)
    _errors(run, seen)
    _routes(run, seen)
    for knob, why in (
        ("missing_messages", "the probe always sends messages"),
        ("cooldown_retry_after", "the probe avoids cooling the model down"),
        ("cooldown_list_detail", "the probe avoids cooling the model down"),
        ("holds_one_chunk", "needs an upstream stream that fails midway"),
        ("mid_stream_error", "needs an upstream stream that fails midway"),
        ("upstream_cut", "needs an upstream stream that fails midway"),
        ("tool_split_role", "depends on how the upstream splits its last tool fragment"),
        ("stream_reasoning_key", "needs an upstream with a reasoning parser"),
        ("message_reasoning_extras", "needs an upstream with a reasoning parser"),
        ("readiness_detail", "the probe does not read /health/readiness"),
        ("mock_headers", "only for mock_response deployments"),
        ("mock_stream_headers", "only for mock_response deployments"),
    ):
        seen.skip(knob, why + " (inherited)")
    return seen


def _stream(run: Run, seen: Observed) -> None:
    stream = run.get("stream")
    if stream is not None and stream.status == 200 and data_chunks(stream):
        _headers(seen, "stream_headers", stream)
        seen.add(
            "stream_cache_headers",
            stream.header("cache-control") == "no-cache",
            evidence(stream, f"cache-control: {stream.header('cache-control')}"),
        )
        chunks = data_chunks(stream)
        first, line = chunks[0]
        delta = (first.get("choices") or [{}])[0].get("delta") or {}
        seen.add(
            "empty_role_chunk",
            "role" in delta and not delta.get("content"),
            evidence(stream, line),
        )
        stop = [
            line for c, line in chunks if any("stop_reason" in ch for ch in c.get("choices") or [])
        ]
        seen.add(
            "chunk_stop_reason", bool(stop), evidence(stream, stop[0] if stop else chunks[-1][1])
        )
        finish = [
            (c, line)
            for c, line in chunks
            if any(ch.get("finish_reason") for ch in c.get("choices") or [])
        ]
        if finish:
            seen.add(
                "finish_chunk_model",
                _model(finish[-1][0].get("model"), run.model),
                evidence(stream, finish[-1][1]),
            )
    asked = run.get("stream-usage")
    if asked is None or asked.status != 200:
        return
    chunks = data_chunks(asked)
    usage = [(c, line) for c, line in chunks if isinstance(c.get("usage"), dict)]
    if not usage:
        return
    chunk, line = usage[-1]
    choices = chunk.get("choices")
    seen.add(
        "usage_chunk", "empty_choices" if choices == [] else "empty_delta", evidence(asked, line)
    )
    details = chunk["usage"].get("completion_tokens_details") or {}
    seen.add("usage_text_tokens", "text_tokens" in details, evidence(asked, line))
    empty = [
        line
        for c, line in chunks
        if c.get("choices") == [{"index": 0, "delta": {}}] and not c.get("usage")
    ]
    seen.add("usage_pre_finish_delta", bool(empty), evidence(asked, empty[0] if empty else line))


def _first_wrapped(run: Run) -> Exchange | None:
    """The first upstream error the proxy wrapped (/v1/responses errors differ)."""
    for name, exchange in run.exchanges.items():
        if not name.startswith("responses") and upstream_text(exchange) is not None:
            return exchange
    return None


def _errors(run: Run, seen: Observed) -> None:
    wrapped = _first_wrapped(run)
    if wrapped is not None:
        message = str((error_parts(wrapped.json()) or {}).get("message") or "")
        if "\n\nLiteLLM: model group" in message:
            seen.add("upstream_error_format", "model_group_footer", evidence(wrapped))
        elif "Received Model Group=" in message:
            seen.add("upstream_error_format", "received_model_group", evidence(wrapped))
        _headers(seen, "upstream_error_headers", wrapped)
    else:
        for knob in ("upstream_error_format", "upstream_error_headers"):
            seen.skip(knob, "no probe got an upstream error through the proxy")
    unknown = run.get("unknown-model")
    parts = error_parts(unknown.json()) if unknown is not None else None
    if unknown is not None and parts is not None:
        seen.add("typed_errors", parts.get("type") != "None", evidence(unknown))
        seen.add(
            "unknown_model_dict_repr",
            str(parts.get("message", "")).startswith("{'error':"),
            evidence(unknown),
        )
        seen.add(
            "unknown_model_provider_fields", "provider_specific_fields" in parts, evidence(unknown)
        )
        _headers(seen, "router_error_headers", unknown)
    missing = run.get("auth-missing")
    parts = error_parts(missing.json()) if missing is not None else None
    if missing is not None and parts is not None and missing.status == 401:
        seen.add("auth_param", parts.get("param"), evidence(missing))
    else:
        seen.skip("auth_param", "needs --api-key (the proxy's master key)")


def _routes(run: Run, seen: Observed) -> None:
    models = run.get("models")
    listed = models.json() if models is not None and models.status == 200 else None
    cards = listed.get("data") if isinstance(listed, dict) else None
    if models is not None and isinstance(cards, list) and cards and isinstance(cards[0], dict):
        if "max_input_tokens" in cards[0]:
            seen.add("models_max_tokens", True, evidence(models))
        else:
            seen.skip(
                "models_max_tokens",
                "no max_input_tokens: the proxy learns none, or the upstream reports no "
                "max_model_len (inherited)",
            )
    responses = run.get("responses")
    if responses is None or responses.status is None:
        return
    body = responses.json()
    if responses.status == 200 and isinstance(body, dict):
        bridged = body.get("object") == "chat.completion"
        seen.add("responses", "bridge" if bridged else "forward", evidence(responses))
    elif upstream_text(responses) is not None:
        seen.add("responses", "forward", evidence(responses))
        seen.add(
            "responses_error_version",
            "x-litellm-version" in responses.header_names(),
            evidence(responses, "headers: " + ", ".join(responses.header_names())),
        )

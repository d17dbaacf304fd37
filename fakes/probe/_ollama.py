"""Ollama behind the probe: told apart by its fingerprint ("fp_ollama" on every /v1 body);
its knobs read from the common probe set plus two native requests sent only to Ollama."""

from __future__ import annotations

from typing import Any

from fakes.probe._client import Exchange, ProbeClient
from fakes.probe._observe import Observed
from fakes.probe._probes import MESSAGES, Run

FINGERPRINT = "fp_ollama"


def is_ollama(run: Run) -> bool:
    chat = run.get("chat")
    body = chat.json() if chat is not None else None
    return isinstance(body, dict) and body.get("system_fingerprint") == FINGERPRINT


async def native_probes(client: ProbeClient, run: Run) -> None:
    """/api/version and one non-streamed /api/chat: the release and the native key order."""
    for name, method, path, body in (
        ("ollama-version", "GET", "/api/version", None),
        (
            "ollama-api-chat",
            "POST",
            "/api/chat",
            {"model": run.model, "messages": MESSAGES, "stream": False},
        ),
    ):
        run.exchanges[name] = await client.send(name, method, path, body=body)
    run.requests = client.sent


def _chunks(exchange: Exchange | None) -> list[dict[str, Any]]:
    if exchange is None or exchange.status != 200:
        return []
    return [e for e in exchange.events() if isinstance(e, dict)]


def _evidence(exchange: Exchange, limit: int = 160) -> str:
    text = exchange.body.decode("utf-8", "replace").replace("\n", " ")
    return f"{exchange.probe}: {exchange.status} {text[:limit]}"


def observe_ollama(run: Run) -> Observed:
    observed = Observed()
    version = run.get("ollama-version")
    if version is not None and isinstance(version.json(), dict):
        observed.note("version", version.json().get("version"), _evidence(version))
    usage = run.get("stream-usage")
    if _chunks(usage):
        has_usage = any("usage" in c for c in _chunks(usage))
        assert usage is not None
        observed.add("stream_usage", has_usage, _evidence(usage))
    stream = run.get("stream")
    chunks = _chunks(stream)
    if chunks and stream is not None:
        finishes = [c for c in chunks if c.get("choices") and c["choices"][0].get("finish_reason")]
        alone = bool(finishes) and finishes[-1]["choices"][0].get("delta") == {}
        observed.add("finish_chunk", alone, _evidence(stream))
    unknown = run.get("unknown-model")
    error = unknown.json() if unknown is not None else None
    if unknown is not None and isinstance(error, dict) and isinstance(error.get("error"), dict):
        message = str(error["error"].get("message", ""))
        hint = "pull_hint" if "try pulling it first" in message else "quoted"
        observed.add("unknown_model", hint, _evidence(unknown))
        typed = error["error"].get("type") == "not_found_error"
        observed.add("error_type_by_status", typed, _evidence(unknown))
    responses = run.get("responses")
    if responses is not None and responses.status is not None:
        observed.add("responses", responses.status != 404, _evidence(responses, 60))
    else:
        observed.skip("responses", "no /v1/responses probe answered")
    _observe_tools(run, observed)
    native = run.get("ollama-api-chat")
    body = native.json() if native is not None else None
    if native is not None and isinstance(body, dict) and "done" in body and "done_reason" in body:
        keys = list(body)
        observed.add(
            "native_done_first", keys.index("done") < keys.index("done_reason"), _evidence(native)
        )
    else:
        observed.skip("native_done_first", "no /api/chat body with done and done_reason")
    return observed


def _observe_tools(run: Run, observed: Observed) -> None:
    # Ollama has no tool_choice: the named-tool stream is a plain stream with tools
    stream = run.get("tool-named-stream")
    chunks = _chunks(stream)
    if not chunks or stream is None:
        observed.skip("stream_tools", "no streamed answer with tools")
        return
    calls = [
        call
        for c in chunks
        if c.get("choices")
        for call in (c["choices"][0].get("delta") or {}).get("tool_calls") or []
    ]
    evidence = _evidence(stream, 240)
    if not calls:
        text = "".join(
            str((c["choices"][0].get("delta") or {}).get("content") or "")
            for c in chunks
            if c.get("choices")
        )
        if text.strip():
            observed.add("stream_tools", "text", evidence, project=_parsed)
        return
    # held or incremental: only a text answer with tools tells them apart, which a probe
    # cannot ask for; the knob is compared as "parsed"
    observed.add("stream_tools", "parsed", evidence, project=_parsed)
    observed.add("tool_call_index", "index" in calls[0], evidence)
    reasons = [
        c["choices"][0].get("finish_reason")
        for c in chunks
        if c.get("choices") and c["choices"][0].get("finish_reason")
    ]
    if reasons:
        observed.add("stream_tool_finish", reasons[-1] == "tool_calls", evidence)


def _parsed(value: Any) -> Any:
    return "text" if value == "text" else "parsed"

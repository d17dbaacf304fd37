"""What a cell's run must equal: the normalized outcome, comparable across drivers.

Ids, timestamps and error wording vary between runs and backends; the golden keeps what a
caller relies on: text, reasoning, tool calls (arguments parsed), finish reason, usage, the
error class and status, and what the driver put on the wire that it should not have.
"""

from __future__ import annotations

import json
from typing import Any

from contracts._model import Result
from contracts._runner import CellRun
from contracts._scenario import Scenario

FORMAT = 1


def _arguments(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {"unparsed": text}


def _violations(exchanges: list[dict[str, Any]], scenario: Scenario) -> list[str]:
    """Request-side contract: what a careful client never sends."""
    found: list[str] = []
    for exchange in exchanges:
        body = exchange.get("json")
        if not isinstance(body, dict):
            continue
        where = exchange["path"]
        if body.get("tools") == []:
            found.append(f"{where}: sent tools: []")
        if "tool_choice" in body and not body.get("tools"):
            found.append(f"{where}: sent tool_choice without tools")
        if where.endswith("/chat/completions") and "max_completion_tokens" in body:
            found.append(
                f"{where}: sent max_completion_tokens (older backends only know max_tokens)"
            )
        for sent, given in zip(body.get("messages") or [], scenario.request.messages, strict=False):
            for key in ("reasoning", "reasoning_content"):
                if isinstance(sent, dict) and key in given and key not in sent:
                    found.append(f"{where}: dropped {key} of a {given.get('role')} turn")
    return sorted(set(found))


def observed(run: CellRun, scenario: Scenario) -> dict[str, Any]:
    if run.result is None:
        return {"crash": run.crash}
    result: Result = run.result
    value: dict[str, Any] = {"text": result.text}
    if result.reasoning:
        value["reasoning"] = result.reasoning
    if result.tool_calls:
        value["tool_calls"] = [
            {
                "name": call.name,
                "arguments": _arguments(call.arguments),
                "id": "present" if call.id else "missing",
            }
            for call in result.tool_calls
        ]
    value["finish_reason"] = result.finish_reason
    value["usage"] = None if result.usage is None else result.usage.model_dump()
    value["error"] = (
        None
        if result.error is None
        else {"kind": result.error.kind.value, "status": result.error.status}
    )
    sent: dict[str, Any] = {"violations": _violations(run.exchanges, scenario)}
    if scenario.check_calls:
        sent["calls"] = [f"{e['method']} {e['path']} -> {e['status']}" for e in run.exchanges]
    value["sent"] = sent
    return value


def document(scenario: Scenario, expected: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The golden file of one scenario: what it is, and the outcome per backend."""
    return {
        "format": FORMAT,
        "scenario": scenario.id,
        "title": scenario.title,
        "quirk": scenario.quirk,
        "request": scenario.request.model_dump(exclude_defaults=True),
        "expected": expected,
    }

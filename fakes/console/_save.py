"""Save logged exchanges as a cassette, or one of them as a contract scenario stub."""

from __future__ import annotations

import keyword
import pprint
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes.console._paths import SaveError, safe_path
from fakes.http.requestlog import Exchange
from fakes.record import Chunk, Header, Interaction, Redactor, save

__all__ = ["SaveError", "safe_path", "save_cassette", "scenario_stub"]


def interaction(entry: Exchange, origin: float) -> Interaction:
    """The exchange as a cassette interaction; chunk offsets count from the response start."""
    chunks = tuple(Chunk(offset, data) for offset, data in entry.chunks)
    return Interaction(
        method=entry.method,
        path=entry.path,
        query=entry.query,
        request_headers=dict(entry.headers),
        request_body=entry.body,
        status=entry.status or 0,
        response_headers=dict(entry.response_headers),
        chunks=chunks,
        complete=entry.complete,
        started=round(entry.started - origin, 6),
    )


def save_cassette(path: Path, entries: list[Exchange], upstream: str) -> int:
    redactor = Redactor()
    origin = min(e.started for e in entries)
    items = [redactor.interaction(interaction(e, origin)) for e in entries]
    header = Header(
        upstream=upstream,
        redacted=redactor.describe(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        source="console",
    )
    save(path, header, items)
    return len(items)


_REQUEST_FIELDS = ("stream", "tools", "tool_choice", "max_tokens", "parallel_tool_calls")


def scenario_stub(
    entry: Exchange, scenario_id: str, profile: str, overrides: dict[str, Any]
) -> str:
    """A Python module defining one contract ``Scenario`` from a captured request."""
    if not scenario_id.isidentifier() or keyword.iskeyword(scenario_id):
        raise SaveError(f"{scenario_id!r}: a scenario id is a Python identifier, e.g. my_case")
    body = Redactor().body(entry.body)
    value = Exchange(0, 0, "", "", "", {}, body).json_body()
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        raise SaveError(
            f"request {entry.id} ({entry.method} {entry.path}) has no chat 'messages': "
            "a scenario is a chat request"
        )
    messages = pprint.pformat(tuple(value["messages"]), width=80, indent=4, sort_dicts=False)
    fields = [f"messages={messages}"]
    for name in _REQUEST_FIELDS:
        if value.get(name) is not None:
            field = value[name]
            if name == "tools":
                field = tuple(field)
            fields.append(f"{name}={field!r}")
    if entry.path.endswith("/responses"):
        fields.append('endpoint="responses"')
    request = ",\n            ".join(fields)
    knob_test = (
        " and ".join(f"_value(knobs.{k}) == {v!r}" for k, v in sorted(overrides.items())) or "True"
    )
    return f'''"""A contract scenario captured by the llm-fakes console (request {entry.id}).

Paste the Scenario into a module under contracts/scenarios/ (its SCENARIOS list), then run
`pytest tests/contracts --snapshot-update -k {scenario_id}` and review the golden file.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from contracts import Request
from contracts._scenario import Scenario
from fakes.profiles import Knobs


def _value(knob: Any) -> Any:
    if isinstance(knob, Enum):
        return knob.value
    return list(knob) if isinstance(knob, tuple) else knob


def _applies(knobs: Knobs) -> bool:
    # captured on {profile} with knob overrides {overrides!r}
    return {knob_test}


SCENARIOS = [
    Scenario(
        id={scenario_id!r},
        family="console",
        title={f"captured: {entry.method} {entry.path} -> {entry.status}"!r},
        quirk={f"found by hand in the console on {profile}"!r},
        request=Request(
            {request},
        ),
        applies=_applies,
    ),
]
'''

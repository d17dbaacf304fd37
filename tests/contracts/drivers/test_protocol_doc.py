"""docs/driver-protocol.md says what the harness really sends and accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from contracts._model import ErrorKind, Request, event_from_json

DOC = (Path(__file__).parents[3] / "docs" / "driver-protocol.md").read_text(encoding="utf-8")


def _blocks(info: str) -> list[str]:
    return re.findall(rf"```{info}\n(.*?)```", DOC, flags=re.DOTALL)


def test_the_request_line_is_a_request() -> None:
    [line] = _blocks("json")
    call = json.loads(line)
    assert call["v"] == 1 and call["op"] in ("complete", "stream")
    Request.model_validate(call["request"])


def test_every_event_line_is_an_event_the_harness_reads() -> None:
    [events] = _blocks("jsonl")
    parsed = [event_from_json(json.loads(line)) for line in events.splitlines()]
    assert [type(e).__name__ for e in parsed] == [
        "EndpointUsed",
        "TextDelta",
        "ReasoningDelta",
        "ToolCallDelta",
        "UsageReport",
        "Finish",
    ]


def test_the_error_kinds_listed_are_the_real_ones() -> None:
    listed = re.search(r"The kinds: (.*?)\. Events", DOC, flags=re.DOTALL)
    assert listed is not None
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == {k.value for k in ErrorKind}

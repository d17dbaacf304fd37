"""SSE framing as servers and proxies really write it."""

from __future__ import annotations

import json

from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import ask, chunk, usage
from fakes.model.canned import CannedRoute, sse_response

_Q = "SSE details (docs/wire-quirks.md#sse-details)"


def _raw(*payloads: object) -> list[str]:
    return [json.dumps(p, separators=(",", ":")) for p in payloads]


_ROLE, _HEL, _LO, _STOP = _raw(
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({}, "stop"),
)
_USAGE = _raw(chunk(choices=[], usage=usage(12, 2)))[0]


def _framing(id_: str, title: str, events: list[str], quirk: str = _Q) -> Scenario:
    return Scenario(
        id=id_,
        family="framing",
        title=title,
        quirk=quirk,
        request=ask(stream=True),
        runs_on=WIRE,
        canned=(CannedRoute(path="/v1/chat/completions", responses=(sse_response(events),)),),
    )


SCENARIOS = [
    _framing(
        "sse_keepalive_comments",
        "': keep-alive' comment lines between events",
        [
            ": keep-alive\n\n",
            f"data: {_ROLE}\n\n",
            ": ping\n\n",
            f"data: {_HEL}\n\n",
            f"data: {_LO}\n\n",
            ": keep-alive\n\n",
            f"data: {_STOP}\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
    ),
    _framing(
        "sse_id_retry_fields",
        "events with id: and retry: fields",
        [
            "retry: 3000\n\n",
            f"id: 1\ndata: {_ROLE}\n\n",
            f"id: 2\ndata: {_HEL}\n\n",
            f"id: 3\ndata: {_LO}\n\n",
            f"id: 4\ndata: {_STOP}\n\n",
            f"id: 5\ndata: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
    ),
    _framing(
        "sse_crlf",
        "CRLF line ends, one CR LF pair split over two chunks",
        [
            f"data: {_ROLE}\r\n\r\n",
            f"data: {_HEL}\r\n\r",
            f"\ndata: {_LO}\r\n\r\n",
            f"data: {_STOP}\r\n\r\n",
            f"data: {_USAGE}\r\n\r\n",
            "data: [DONE]\r\n\r\n",
        ],
    ),
    _framing(
        "sse_no_space",
        "'data:' without the space after the colon",
        [
            f"data:{_ROLE}\n\n",
            f"data:{_HEL}\n\n",
            f"data:{_LO}\n\n",
            f"data:{_STOP}\n\n",
            f"data:{_USAGE}\n\n",
            "data:[DONE]\n\n",
        ],
    ),
    _framing(
        "sse_multiline_data",
        "one JSON object split over several data: lines",
        [
            f"data: {_ROLE}\n\n",
            "data: " + _HEL.replace(",", ",\ndata: ", 2) + "\n\n",
            f"data: {_LO}\n\n",
            f"data: {_STOP}\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
    ),
    _framing(
        "sse_event_split_across_chunks",
        "one event split byte-wise over three network chunks",
        [
            f"data: {_ROLE}\n\n",
            f"data: {_HEL[:20]}",
            f"{_HEL[20:]}\n",
            f"\ndata: {_LO}\n\n",
            f"data: {_STOP}\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
    ),
    _framing(
        "done_in_content",
        "the literal text [DONE] inside content is text, not the end",
        [
            f"data: {_ROLE}\n\n",
            "data: " + _raw(chunk({"content": "Type "}))[0] + "\n\n",
            "data: " + _raw(chunk({"content": "[DONE]"}))[0] + "\n\n",
            "data: " + _raw(chunk({"content": " to finish."}))[0] + "\n\n",
            f"data: {_STOP}\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
    ),
    _framing(
        "clean_end_without_done",
        "a finish chunk, usage, then the body ends without [DONE]: a clean finish",
        [
            f"data: {_ROLE}\n\n",
            f"data: {_HEL}\n\n",
            f"data: {_LO}\n\n",
            f"data: {_STOP}\n\n",
            f"data: {_USAGE}\n\n",
        ],
    ),
    _framing(
        "truncated_without_done",
        "text, then the body ends with no finish and no [DONE]: truncated",
        [f"data: {_ROLE}\n\n", f"data: {_HEL}\n\n", f"data: {_LO}\n\n"],
    ),
    _framing(
        "finish_missing",
        "no finish_reason anywhere, but [DONE]: finish_reason unknown",
        [
            f"data: {_ROLE}\n\n",
            f"data: {_HEL}\n\n",
            f"data: {_LO}\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
        "no finish_reason at all (docs/wire-quirks.md#finish-reasons)",
    ),
    _framing(
        "finish_nonstandard",
        "finish_reason 'eos' means stop",
        [
            f"data: {_ROLE}\n\n",
            f"data: {_HEL}\n\n",
            f"data: {_LO}\n\n",
            "data: " + _raw(chunk({}, "eos"))[0] + "\n\n",
            f"data: {_USAGE}\n\n",
            "data: [DONE]\n\n",
        ],
        "non-standard finish reasons (docs/wire-quirks.md#finish-reasons)",
    ),
]

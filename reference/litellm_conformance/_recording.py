"""The real proxy's answers, per proxy release and upstream, as a versioned JSON file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from reference.litellm_conformance._units import MASTER_KEY, Unit, WireRequest

FORMAT = "llm-fakes-litellm-conformance"
# 1: 27 hand-written probes against one upstream; 2: no upstream answers
FORMAT_VERSION = 3
KEY = b"[master key]"  # the run's key, kept out of the file
# 1.74 puts tracebacks in some error bodies (a /v1/responses stream failing its validation):
# the install folder they name stays out of the file
SITE_PACKAGES = re.compile(rb"/[^\s\"']*?/site-packages/")


def path_for(folder: Path, version: str, upstream: str) -> Path:
    return folder / f"litellm-{version}+{upstream}.json"


def write(
    path: Path,
    version: str,
    upstream: str,
    units: list[Unit],
    answers: dict[str, Any],
    upstream_answers: dict[str, Any],
) -> None:
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "litellm": version,
        "upstream": upstream,
        "redacted": [
            "authorization: the conformance run's own master key",
            "the real proxy's install folder in the tracebacks of its error bodies",
        ],
        "units": [
            {**u.to_json(), "answers": answers[u.name], "upstream": upstream_answers[u.name]}
            for u in units
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).replace(MASTER_KEY.encode(), KEY)
    text = SITE_PACKAGES.sub(b"<site-packages>/", text)
    temporary.write_bytes(text + b"\n")
    temporary.replace(path)


@dataclass(frozen=True)
class Recording:
    litellm: str
    upstream: str  # the fake vLLM profile's name
    units: list[Unit]
    answers: dict[str, Any]  # the real proxy's, by unit
    upstream_answers: dict[str, Any]  # what each unit's fake vLLM answered the real proxy


def read(path: Path) -> Recording:
    data = orjson.loads(path.read_bytes().replace(KEY, MASTER_KEY.encode()))
    if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} recording")
    units = [
        Unit(
            u["name"],
            u["source"],
            tuple(u["drivers"]),
            tuple(WireRequest.from_json(r) for r in u["requests"]),
        )
        for u in data["units"]
    ]
    return Recording(
        data["litellm"],
        data["upstream"],
        units,
        {u["name"]: u["answers"] for u in data["units"]},
        {u["name"]: u["upstream"] for u in data["units"]},
    )

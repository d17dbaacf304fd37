"""The real proxy's answers, per proxy release and upstream, as a versioned JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from reference.litellm_conformance._units import MASTER_KEY, Unit, WireRequest

FORMAT = "llm-fakes-litellm-conformance"
FORMAT_VERSION = 2  # 1: 27 hand-written probes against one upstream
KEY = b"[master key]"  # the run's key, kept out of the file


def path_for(folder: Path, version: str, upstream: str) -> Path:
    return folder / f"litellm-{version}+{upstream}.json"


def write(
    path: Path, version: str, upstream: str, units: list[Unit], answers: dict[str, Any]
) -> None:
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "litellm": version,
        "upstream": upstream,
        "redacted": ["authorization: the conformance run's own master key"],
        "units": [{**u.to_json(), "answers": answers[u.name]} for u in units],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2).replace(MASTER_KEY.encode(), KEY)
    temporary.write_bytes(text + b"\n")
    temporary.replace(path)


def read(path: Path) -> tuple[str, str, list[Unit], dict[str, Any]]:
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
    return (
        data["litellm"],
        data["upstream"],
        units,
        {u["name"]: u["answers"] for u in data["units"]},
    )

"""Matrix shards: each machine runs a fixed 1/n of the cells; ``merge`` rebuilds the one report.

A cell belongs to shard ``position % n + 1``, its position in the run's plan (driver, scenario,
backend order), so the split depends only on what is run, never on time or on the machine, and
the shards stay within a cell of each other in size. A partial result keeps every cell in full
(diff, observed, expected, exchanges) so the merged HTML has the same detail as one run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from contracts.matrix import Cell, Matrix
from contracts.scenarios import SCENARIOS

PARTIAL = "partial.json"
FORMAT = 1
KIND = "llm-fakes matrix shard"


class ShardError(ValueError):
    """Bad shard input: the message is one line for the command line."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a CI matrix counts
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if match is None:
            raise ShardError(f"--shard {text!r}: expected i/n, e.g. 1/3")
        index, count = int(match[1]), int(match[2])
        if count < 1 or not 1 <= index <= count:
            raise ShardError(f"--shard {text}: i must be between 1 and n (n >= 1)")
        return cls(index, count)

    def takes(self, position: int) -> bool:
        return position % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _llm_fakes_version() -> str:
    try:
        return version("llm-fakes")
    except PackageNotFoundError:  # a checkout that is not installed
        return "unknown"


def run_identity(
    drivers: Sequence[str],
    backends: Sequence[str],
    scenarios: Sequence[str],
    plan: Sequence[tuple[str, str, str]],
    live: bool,
) -> dict[str, Any]:
    """What makes two shards parts of the same run."""
    return {
        "llm_fakes": _llm_fakes_version(),
        "live": live,
        "drivers": list(drivers),
        "backends": list(backends),
        "scenarios": list(scenarios),
        "plan": [list(key) for key in plan],
    }


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        **cell.to_json(),
        "observed": cell.observed,
        "expected": cell.expected,
        "exchanges": cell.exchanges,
    }


def write_partial(matrix: Matrix, shard: Shard, identity: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "format": FORMAT,
        "kind": KIND,
        "shard": {"index": shard.index, "count": shard.count},
        "seconds": round(matrix.seconds, 3),
        "run": identity,
        "cells": [_cell_json(cell) for cell in matrix.cells],
    }
    path = directory / PARTIAL
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


@dataclass
class _Partial:
    where: str
    shard: Shard
    seconds: float
    run: dict[str, Any]
    cells: list[dict[str, Any]]


def _read(directory: Path) -> _Partial:
    path = directory / PARTIAL
    where = str(directory)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShardError(
            f"{where}: no {PARTIAL} (write one with llm-fakes matrix --shard i/n --out DIR)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ShardError(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ShardError(f"{path}: not a matrix shard")
    if document.get("format") != FORMAT:
        raise ShardError(f"{path}: shard format {document.get('format')!r}, this reads {FORMAT}")
    try:
        shard = Shard(int(document["shard"]["index"]), int(document["shard"]["count"]))
        run, cells = document["run"], document["cells"]
        seconds = float(document["seconds"])
        if not isinstance(run, dict) or not isinstance(cells, list):
            raise TypeError("run or cells")
        keys = [(c["driver"], c["backend"], c["scenario"]) for c in cells]
        if not all(isinstance(c["outcome"], str) for c in cells):
            raise TypeError("an outcome is not a string")
    except (KeyError, TypeError, ValueError) as exc:
        raise ShardError(f"{path}: malformed shard ({exc!s})") from None
    expected = [tuple(key) for i, key in enumerate(run.get("plan", [])) if shard.takes(i)]
    if keys != expected:
        raise ShardError(f"{path}: its cells are not those of shard {shard} of its run")
    return _Partial(where, shard, seconds, run, cells)


def _difference(first: dict[str, Any], other: dict[str, Any]) -> str:
    for key in ("llm_fakes", "live", "drivers", "backends", "scenarios", "plan"):
        if first.get(key) != other.get(key):
            return key
    return "run"


def merge(directories: Sequence[Path]) -> Matrix:
    """The matrix one run would have given, from the partial results of all its shards."""
    if not directories:
        raise ShardError("merge needs the directories of the shards")
    partials = [_read(Path(d)) for d in directories]
    first = partials[0]
    for other in partials[1:]:
        if other.run != first.run:
            key = _difference(first.run, other.run)
            raise ShardError(
                f"{other.where} is from a different run than {first.where} ({key} differ)"
            )
        if other.shard.count != first.shard.count:
            raise ShardError(
                f"{other.where} is shard {other.shard}, {first.where} is shard {first.shard}: "
                "a run has one shard count"
            )
    seen: dict[int, str] = {}
    for partial in partials:
        if partial.shard.index in seen:
            raise ShardError(
                f"shard {partial.shard} given twice: {seen[partial.shard.index]} "
                f"and {partial.where}"
            )
        seen[partial.shard.index] = partial.where
    count = first.shard.count
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise ShardError(f"missing shard {', '.join(missing)}: merge needs every shard")
    try:
        scenarios = [SCENARIOS.get(s) for s in first.run["scenarios"]]
    except KeyError as exc:
        raise ShardError(f"{first.where}: {exc.args[0]}") from None
    by_key = {(c["driver"], c["backend"], c["scenario"]): c for p in partials for c in p.cells}
    cells = [_cell(by_key[(d, b, s)]) for d, b, s in first.run["plan"]]
    return Matrix(
        list(first.run["drivers"]),
        list(first.run["backends"]),
        scenarios,
        cells,
        sum(p.seconds for p in partials),
    )


def _cell(data: dict[str, Any]) -> Cell:
    return Cell(
        data["driver"],
        data["backend"],
        data["scenario"],
        data["outcome"],
        data.get("detail", ""),
        data.get("observed"),
        data.get("expected"),
        list(data.get("exchanges") or []),
    )

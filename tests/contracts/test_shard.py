"""Sharded matrix runs merge to exactly the report of one run; bad input is one line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contracts.shard import Shard, ShardError
from fakes.cli import main

SELECTION = [
    "--driver",
    "openai-compatible",
    "--driver",
    "naive-chat",
    "--driver",
    "responses-only",
    "--backend",
    "vllm-0.9*",
    "--backend",
    "vllm-0.4",
]


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _ok(*args: str) -> Result:
    result = _run(*args)
    assert result.exit_code == 0, result.output
    return result


def _one_line_error(result: Result, *words: str) -> str:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One whole run in ``one``, and shards 1/3, 2/3, 3/3 of the same run in ``s1..s3``."""
    root = tmp_path_factory.mktemp("matrix")
    _ok("matrix", *SELECTION, "--out", str(root / "one"))
    for index in (1, 2, 3):
        _ok("matrix", *SELECTION, "--shard", f"{index}/3", "--out", str(root / f"s{index}"))
    return root


def _json(directory: Path) -> dict[str, object]:
    report = json.loads((directory / "matrix.json").read_text())
    del report["generated"], report["seconds"]  # the only timing fields
    return dict(report)


def _html(directory: Path) -> str:
    text = (directory / "matrix.html").read_text()
    text = re.sub(r"cells in [0-9.]+ s", "cells in T s", text)
    # raw exchanges hold the fake's random ids and clock, different in any two runs
    return re.sub(r"<details>.*?</details>", "<details/>", text, flags=re.S)


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2)])
def test_three_shards_merge_to_the_report_of_one_run(
    runs: Path, tmp_path: Path, order: tuple[int, ...]
) -> None:
    _ok("matrix", "merge", *(str(runs / f"s{i}") for i in order), "--out", str(tmp_path))
    whole = _json(runs / "one")
    assert _json(tmp_path) == whole
    assert len(whole["cells"]) > 30  # type: ignore[arg-type]
    assert (tmp_path / "matrix.md").read_text() == (runs / "one" / "matrix.md").read_text()
    assert _html(tmp_path) == _html(runs / "one")


def test_each_shard_runs_a_disjoint_third(runs: Path) -> None:
    keys = []
    for index in (1, 2, 3):
        cells = json.loads((runs / f"s{index}" / "partial.json").read_text())["cells"]
        keys += [(c["driver"], c["backend"], c["scenario"]) for c in cells]
        assert not (runs / f"s{index}" / "matrix.json").exists()
    whole = json.loads((runs / "one" / "matrix.json").read_text())["cells"]
    assert sorted(keys) == sorted((c["driver"], c["backend"], c["scenario"]) for c in whole)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_every_position(count: int) -> None:
    shards = [Shard(i, count) for i in range(1, count + 1)]
    owners = [[s for s in shards if s.takes(position)] for position in range(50)]
    assert all(len(o) == 1 for o in owners)
    sizes = [sum(1 for o in owners if o[0] == s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("text", ["4/3", "0/3", "1/0", "a/3", "2", "-1/3"])
def test_a_bad_shard_is_a_one_line_error(text: str, tmp_path: Path) -> None:
    _one_line_error(_run("matrix", *SELECTION, "--shard", text, "--out", str(tmp_path)), "shard")
    assert not list(tmp_path.iterdir())


def test_parse_names_the_valid_range() -> None:
    with pytest.raises(ShardError, match="between 1 and n"):
        Shard.parse("5/4")
    assert Shard.parse(" 2 / 4 ") == Shard(2, 4)


def test_merge_refuses_a_shard_given_twice(runs: Path, tmp_path: Path) -> None:
    dirs = [str(runs / f"s{i}") for i in (1, 2, 2, 3)]
    _one_line_error(_run("matrix", "merge", *dirs, "--out", str(tmp_path)), "2/3 given twice")


def test_merge_refuses_a_missing_shard(runs: Path, tmp_path: Path) -> None:
    dirs = [str(runs / "s1"), str(runs / "s3")]
    _one_line_error(_run("matrix", "merge", *dirs, "--out", str(tmp_path)), "missing shard 2/3")
    assert not (tmp_path / "matrix.json").exists()


def test_merge_refuses_shards_of_another_run(runs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    _ok("matrix", "--driver", "openai-compatible", "--backend", "vllm-0.9*", "--shard", "2/3",
        "--out", str(other))  # fmt: skip
    dirs = [str(runs / "s1"), str(other), str(runs / "s3")]
    _one_line_error(
        _run("matrix", "merge", *dirs, "--out", str(tmp_path / "m")), "different run", "drivers"
    )


def test_merge_refuses_mixed_shard_counts(runs: Path, tmp_path: Path) -> None:
    half = tmp_path / "half"
    _ok("matrix", *SELECTION, "--shard", "2/2", "--out", str(half))
    dirs = [str(runs / "s1"), str(half)]
    _one_line_error(_run("matrix", "merge", *dirs, "--out", str(tmp_path / "m")), "shard count")


def test_merge_refuses_what_is_not_a_shard(runs: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "m")
    _one_line_error(_run("matrix", "merge", str(runs / "one"), "--out", out), "no partial.json")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "partial.json").write_text("{not json")
    _one_line_error(_run("matrix", "merge", str(broken), "--out", out), "not readable JSON")
    (broken / "partial.json").write_text(json.dumps({"kind": "something else"}))
    _one_line_error(_run("matrix", "merge", str(broken), "--out", out), "not a matrix shard")


def test_merge_refuses_a_tampered_shard(runs: Path, tmp_path: Path) -> None:
    tampered = tmp_path / "s2"
    tampered.mkdir()
    document = json.loads((runs / "s2" / "partial.json").read_text())
    document["cells"].pop()
    (tampered / "partial.json").write_text(json.dumps(document))
    dirs = [str(runs / "s1"), str(tampered), str(runs / "s3")]
    _one_line_error(
        _run("matrix", "merge", *dirs, "--out", str(tmp_path / "m")), "not those of shard 2/3"
    )
    del document["cells"][0]["outcome"]
    (tampered / "partial.json").write_text(json.dumps(document))
    _one_line_error(_run("matrix", "merge", *dirs, "--out", str(tmp_path / "m")), "malformed")

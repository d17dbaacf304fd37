from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fakes.cli import main


def test_matrix_writes_the_three_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "matrix",
            "--driver",
            "naive-chat",
            "--driver",
            "openai-compatible",
            "--backend",
            "vllm-0.9",
            "--scenario",
            "stream_*",
            "--out",
            str(tmp_path),
            "--check",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "matrix.json").read_text())
    outcomes = {(c["driver"], c["scenario"]): c["outcome"] for c in report["cells"]}
    assert outcomes[("naive-chat", "stream_usage")] == "crash"
    assert outcomes[("openai-compatible", "stream_usage")] == "pass"
    assert {"matrix.json", "matrix.md", "matrix.html"} <= {p.name for p in tmp_path.iterdir()}


def test_matrix_check_fails_when_the_correct_driver_would(tmp_path: Path) -> None:
    # a backend/scenario selection that does not exist is a clean one-line error
    result = CliRunner().invoke(main, ["matrix", "--scenario", "no_such_*", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no scenario matches no_such_*"


def test_default_drivers_add_the_installed_clients() -> None:
    from contracts.cli import EXTRA_MODULES, default_drivers
    from contracts.drivers import DRIVERS, REFERENCE

    extras = {DRIVERS.get(n).extra for n in DRIVERS.names()} - {None}
    assert extras <= set(EXTRA_MODULES)  # every adapter's library is known
    names = default_drivers()
    assert names[:3] == list(REFERENCE) and "openai-python-chat" in names  # openai is installed

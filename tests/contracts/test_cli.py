from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
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


def test_matrix_help_lists_the_driver_names() -> None:
    from contracts.drivers import DRIVERS

    result = CliRunner().invoke(main, ["matrix", "--help"], terminal_width=200)
    flat = " ".join(result.output.split())
    for name in DRIVERS.names():
        assert name in flat, name


def test_matrix_finds_a_driver_module_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "beside_me.py").write_text(
        "from contracts.drivers._http import OpenAICompatibleDriver as factory\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    args = [
        "matrix",
        "--driver",
        "beside_me:factory",
        "--backend",
        "wire",
        "--scenario",
        "sse_crlf",
    ]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    [cell] = json.loads((tmp_path / "m" / "matrix.json").read_text())["cells"]
    assert (cell["driver"], cell["outcome"]) == ("beside_me:factory", "pass")


SUBSET = ("--llm-backend", "vllm-0.9", "-k", "plain_completion", "-p", "no:cacheprovider")


def test_contract_runs_the_suite_from_anywhere(tmp_path: Path) -> None:
    # an installed user has no tests/contracts: `llm-fakes contract` brings the suite along
    import shlex
    import subprocess

    driver = Path(__file__).parent / "drivers" / "jsonl_driver.py"
    command = shlex.join([sys.executable, str(driver), "reference"])
    done = subprocess.run(
        [sys.executable, "-m", "fakes", "contract", "--driver-cmd", command, *SUBSET],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "fakes", "contract", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--driver-cmd=CMD" in shown.stdout and "pytest --pyargs contracts.suite" in shown.stdout

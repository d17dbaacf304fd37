"""The built wheel, installed into a clean venv, gives a user's project the fixtures and
the contract suite with no conftest and no source checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests._wheel import run as run_in

USER_PROJECT = {
    "test_client.py": """
import httpx

def test_my_client_against_the_fake(llm_fake):
    answer = httpx.post(llm_fake.base_url + "/chat/completions", json={
        "model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert answer["choices"][0]["finish_reason"] == "stop"
""",
    "test_contracts.py": "from contracts.suite import test_contract\n",
}


@pytest.mark.packaging
def test_wheel_in_a_clean_venv(tmp_path: Path, wheel: Path) -> None:
    def run(*command: str | Path, cwd: Path = tmp_path) -> str:
        return run_in(*command, cwd=cwd)

    import zipfile

    shipped = set(zipfile.ZipFile(wheel).namelist())
    for asset in ("index.html", "console.js", "console.css"):  # the console, offline
        assert f"fakes/console/static/{asset}" in shipped
    run(sys.executable, "-m", "venv", tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel)
    project = tmp_path / "project"
    project.mkdir()
    for name, text in USER_PROJECT.items():
        (project / name).write_text(text)
    output = run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "my_client or plain_completion or stream_usage or sse_crlf",
        cwd=project,
    )
    assert "5 passed" in output, output
    assert not list(project.glob("__snapshots__"))  # goldens come from the package
    run(tmp_path / "venv" / "bin" / "llm-fakes", "profiles")

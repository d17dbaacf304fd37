"""The built wheel, installed into a clean venv, gives a user's project the fixtures and
the contract suite with no conftest and no source checkout."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import urllib.request
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
    # the core install first, as a server image has it: no pytest extra, and the server runs
    run(python, "-m", "pip", "install", "-q", wheel)
    for module in ("pytest", "syrupy", "respx", "httpx2"):
        absent = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        assert absent.returncode != 0, f"the core install brought {module}"
    _serve_vllm_once(tmp_path / "venv" / "bin" / "llm-fakes")
    run(python, "-m", "pip", "install", "-q", f"{wheel}[pytest]")
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


def _serve_vllm_once(command: Path) -> None:
    """``llm-fakes serve vllm`` on a free port answers /v1/models; the banner names the port."""
    with subprocess.Popen(
        [command, "serve", "vllm", "--port", "0"], stderr=subprocess.PIPE, text=True
    ) as server:  # the context closes the pipe
        try:
            assert server.stderr is not None
            url = None
            with selectors.DefaultSelector() as selector:
                selector.register(server.stderr, selectors.EVENT_READ)
                for _ in range(50):  # the banner's lines; each waits at most 60 s
                    assert selector.select(timeout=60), "serve vllm printed nothing for 60 s"
                    line = server.stderr.readline()
                    assert line, f"serve vllm exited: {server.wait()}"
                    if line.startswith("listening on "):
                        url = line.split()[2]
                        break
            assert url is not None
            with urllib.request.urlopen(f"{url}/v1/models", timeout=30) as answer:
                assert [card["id"] for card in json.load(answer)["data"]] == ["fake-model"]
        finally:
            server.terminate()
            server.wait(timeout=30)

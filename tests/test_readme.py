"""Every code block of the README runs as written, from the built wheel in a clean venv.

Each fence carries a marker on the line before it:

- ``<!-- run: install -->``: the install line; the wheel is installed with its extras
- ``<!-- file: NAME -->``: the block is written to NAME in the user's project
- ``<!-- run -->``: a shell block that must exit 0 (``<!-- run: exit=N -->``: each of its
  commands must exit N)
- ``<!-- run: python -->``: a Python block that must exit 0
- ``<!-- run: background -->``: a server; it must listen on every port its command names
  within a bounded time, and it is stopped by its PID at the next ``##`` section
- ``<!-- no-run: why -->``: not run, and the marker says why

The README's ports (8000, 4000, ...) are replaced by free ones: the machine is shared.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

from tests._wheel import ROOT
from tests._wheel import run as run_in

README = ROOT / "README.md"
MARKER = re.compile(r"<!-- (run|file|no-run)(?::\s*(.*?))? -->")
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")


@dataclass
class Block:
    line: int
    section: str
    kind: str  # run | file | no-run
    argument: str
    text: str


def blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    found: list[Block] = []
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line
        opening = FENCE.match(line)
        if not opening:
            index += 1
            continue
        end = next(j for j in range(index + 1, len(lines)) if lines[j].strip() == "```")
        marker = MARKER.fullmatch(lines[index - 1].strip()) if index else None
        assert marker, f"README.md:{index + 1}: a code block without a run/file/no-run marker"
        body = dedent("\n".join(lines[index + 1 : end])) + "\n"
        found.append(Block(index + 1, section, marker[1], (marker[2] or "").strip(), body))
        index = end + 1
    return found


def test_every_block_is_marked_and_every_no_run_says_why() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    assert sum(b.kind != "no-run" for b in found) >= 20
    for block in found:
        if block.kind == "no-run":
            assert len(block.argument) > 10, f"README.md:{block.line}: say why it does not run"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _commands(text: str) -> list[str]:
    """Shell commands, with continuation lines joined and comment lines dropped."""
    joined = text.replace("\\\n", " ")
    return [c for c in joined.splitlines() if c.strip() and not c.lstrip().startswith("#")]


@pytest.mark.packaging
def test_the_readme_runs_from_the_wheel(tmp_path: Path, wheel: Path) -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    ports = {port: str(_free_port()) for port in ("8000", "8001", "8002", "4000", "8080", "8081")}

    def local(text: str) -> str:
        return re.sub(r"\b(8000|8001|8002|4000|8080|8081)\b", lambda m: ports[m[1]], text)

    venv = tmp_path / "venv"
    run_in(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONPATH", None)
    servers: list[subprocess.Popen[bytes]] = []
    ran = 0

    def stop_servers() -> None:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=5)
        servers.clear()

    def shell(script: str, where: str, expect: int = 0) -> None:
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-ec", script],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == expect, (
            f"{where}: exit {done.returncode}, expected {expect}\n$ {script}\n"
            + done.stdout[-3000:]
            + done.stderr[-3000:]
        )

    section = ""
    try:
        for block in found:
            where = f"README.md:{block.line}"
            if block.section != section:
                stop_servers()
                section = block.section
            if block.kind == "no-run":
                continue
            ran += 1
            text = local(block.text)
            if block.kind == "file":
                (project / block.argument).write_text(text)
            elif block.argument == "install":
                [extras] = re.findall(r"llm-fakes\[([\w,-]+)\]", text)
                shell(f"pip install -q '{wheel}[{extras}]'", where)
            elif block.argument == "python":
                script = tmp_path / f"block-{block.line}.py"
                script.write_text(text)
                shell(f"python {shlex.quote(str(script))}", where)
            elif block.argument == "background":
                [command] = _commands(text)
                log = tmp_path / f"server-{block.line}.log"
                with log.open("wb") as output:  # a file, not a pipe: it never fills up
                    server = subprocess.Popen(
                        ["bash", "-c", f"exec {command}"],
                        cwd=project,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                servers.append(server)
                wanted = [int(p) for p in re.findall(r"--(?:\w+-)?port (\d+)", command)]
                assert wanted, f"{where}: a server command names its port(s)"
                deadline = time.monotonic() + 60
                while not all(_listening(p) for p in wanted):
                    if server.poll() is not None:
                        pytest.fail(
                            f"{where}: exited {server.returncode}: {log.read_text()[-2000:]}"
                        )
                    assert time.monotonic() < deadline, f"{where}: not listening within 60 s"
                    time.sleep(0.1)  # polling a port we do not own: bounded above
            elif block.argument.startswith("exit="):
                for command in _commands(text):
                    shell(command, where, expect=int(block.argument.removeprefix("exit=")))
            else:
                assert block.argument == "", f"{where}: unknown marker run: {block.argument}"
                shell(text, where)
    finally:
        stop_servers()
    assert ran == sum(b.kind != "no-run" for b in found)
    assert (project / "session.jsonl").read_text().count("\n") >= 2  # the header, an exchange

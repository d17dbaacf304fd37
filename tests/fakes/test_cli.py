from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from fakes.cli import main
from tests._live import free_ports, stack_master_key, until_up


def test_profiles_lists_every_range() -> None:
    result = CliRunner().invoke(main, ["profiles"])
    assert result.exit_code == 0
    for name in ("vllm-0.4", "vllm-0.9", "vllm-0.12"):
        assert name in result.output


def test_unknown_release_is_one_clean_line() -> None:
    result = CliRunner().invoke(main, ["serve", "vllm", "--version", "0.1.0", "--port", "0"])
    assert result.exit_code == 1
    assert "Error: vllm 0.1.0 is outside every known range" in result.output
    assert "Traceback" not in result.output


def test_missing_profile_file_is_a_clean_error() -> None:
    result = CliRunner().invoke(main, ["serve", "vllm", "--profile", "nope.yaml"])
    assert result.exit_code == 1 and "nope.yaml: cannot read profile" in result.output


def test_serve_starts_and_answers(tmp_path: object) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "serve", "vllm", "--version", "0.9.2", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/version", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        assert response.json() == {"version": "0.9.2"}
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert b"curl -N http://127.0.0.1:" in err and b"from openai import OpenAI" in err


def test_profiles_lists_litellm_releases() -> None:
    result = CliRunner().invoke(main, ["profiles", "--backend", "litellm"])
    assert result.exit_code == 0
    assert "litellm-1.74" in result.output and "litellm-1.110" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: foo/bar\n",
            "c.yaml:4: unknown provider prefix 'foo'",
        ),
        ("model_list: [\n", "c.yaml:2: not valid YAML"),
        (
            "litellm_settings:\n  num_retries: many\n",
            "c.yaml:2: litellm_settings.num_retries must be a number, got 'many'",
        ),
    ],
)
def test_serve_litellm_bad_config_is_one_clean_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["serve", "litellm", "--config", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_serve_litellm_missing_config_file() -> None:
    result = CliRunner().invoke(main, ["serve", "litellm", "--config", "nope.yaml"])
    assert result.exit_code == 1 and "nope.yaml: cannot read config" in result.output


def test_serve_stack_unknown_litellm_release_lists_ranges() -> None:
    result = CliRunner().invoke(main, ["serve", "stack", "--litellm-version", "1.2.3"])
    assert result.exit_code == 1
    assert "litellm 1.2.3 is outside every known range: litellm-1.74" in result.output


def test_serve_stack_starts_both_on_loopback() -> None:
    vllm_port, litellm_port = free_ports(2)
    command = [sys.executable, "-m", "fakes", "serve", "stack", "--litellm-version", "1.74.15"]
    command += ["--vllm-port", str(vllm_port), "--litellm-port", str(litellm_port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    banner: list[str] = []
    try:
        key, banner = stack_master_key(process)  # the banner names the stack's own strong key
        assert len(key) > 40, banner
        auth = {"Authorization": f"Bearer {key}"}
        response = until_up(
            lambda: httpx.post(
                f"http://127.0.0.1:{litellm_port}/v1/chat/completions",
                json=body,
                headers=auth,
                timeout=5,
            ),
            process,
        )
        assert response.status_code == 200
        assert response.text.endswith("data: [DONE]\n\n") and '"usage"' not in response.text
        upstream = httpx.get(f"http://127.0.0.1:{vllm_port}/_fake/requests", timeout=5).json()
        assert upstream["requests"][0]["json"]["stream_options"] == {"include_usage": True}
    finally:
        process.terminate()
        # the same buffered reader as the banner's lines (communicate() would skip what it
        # had already read ahead); SIGTERM ends the stack, so this reaches end of file
        assert process.stderr is not None
        with process.stderr:
            err = process.stderr.read()
        process.wait(timeout=10)
    text = "".join(banner) + err.decode()
    assert "fake LiteLLM 1.74.15" in text and "ends without usage" in text


def test_two_workers_answer(tmp_path: object) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "fakes", "serve", "vllm", "--version", "0.9.2"),
            *("--port", str(port), "--workers", "2", "--served-model-name", "m"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(8):  # new connections, spread over the workers by the kernel
                response = client.post(
                    "/v1/chat/completions",
                    json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                    headers={"Connection": "close"},
                )
                assert response.status_code == 200
                assert response.json()["object"] == "chat.completion"
            assert client.get("/version").json() == {"version": "0.9.2"}
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    assert b"2 workers" in err and err.count(b"Started server process") == 2


EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something already listens on: serve commands stop right after their checks."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("command", "warning"),
    [
        (
            ["serve", "vllm", "--version", "9.9"],
            "warning: vLLM 9.9 is newer than every release the profiles were read from "
            "(newest 0.34.0); imitating it with vllm-0.34\n",
        ),
        (
            [
                "serve",
                "litellm",
                "--config",
                str(EXAMPLES / "litellm-config.yaml"),
                "--version",
                "9.9",
            ],
            "warning: LiteLLM 9.9 is newer than every release the profiles were read from "
            "(newest 1.110.2); imitating it with litellm-1.110\n",
        ),
    ],
)
def test_a_release_past_the_newest_profile_warns_once(
    command: list[str], warning: str, busy_port: int
) -> None:
    result = CliRunner().invoke(main, [*command, "--port", str(busy_port)])
    assert "cannot listen" in result.stderr
    assert result.stderr.count(warning) == 1, result.stderr


def test_the_default_release_is_the_newest_profiles_reference() -> None:
    from fakes.profiles import DEFAULT_VLLM_VERSION, builtin

    assert builtin("vllm").newest().reference == DEFAULT_VLLM_VERSION


def test_a_known_release_does_not_warn(busy_port: int) -> None:
    result = CliRunner().invoke(
        main, ["serve", "vllm", "--version", "0.33.0", "--port", str(busy_port)]
    )
    assert "cannot listen" in result.stderr and "warning" not in result.stderr


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["serve", "vllm", "--port"], "--port"),
        # --vllm-port is --upstream-port's older name
        (["serve", "stack", "--litellm-port", "0", "--vllm-port"], "--upstream-port"),
        (["serve", "stack", "--litellm-port", "0", "--upstream-port"], "--upstream-port"),
        (["serve", "stack", "--vllm-port", "0", "--litellm-port"], "--litellm-port"),
    ],
)
def test_a_taken_port_names_the_option_that_moves_it(
    command: list[str], option: str, busy_port: int
) -> None:
    result = CliRunner().invoke(main, [*command, str(busy_port)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1:{busy_port}: Address already in use "
        f"(choose another with {option}; 0 picks a free one)"
    )


def test_the_banner_never_wraps_a_command_to_copy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fakes.cli._banner import banner
    from fakes.vllm.options import VllmOptions

    monkeypatch.setenv("COLUMNS", "40")
    banner("http://127.0.0.1:8000", VllmOptions(release="0.9.2").config(), 0.1)
    lines = capsys.readouterr().err.splitlines()
    curl = next(i for i, line in enumerate(lines) if "curl" in line)
    assert lines[curl] == (
        "  curl -N http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \\"
    )
    assert lines[curl + 1] == (
        '    -d \'{"model": "fake-model", "messages": [{"role": "user", "content": "Hello"}], '
        '"stream": true}\''
    )
    [python] = [line for line in lines if "python -c" in line]
    assert python.endswith('.choices[0].message.content)"')


def test_the_stack_labels_each_uvicorn_line_with_its_server() -> None:
    import selectors

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakes",
            "serve",
            "stack",
            "--vllm-port",
            "0",
            "--litellm-port",
            "0",
        ],
        stderr=subprocess.PIPE,
    )
    output = b""
    try:
        assert process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while output.count(b"startup complete") < 2:
            assert time.monotonic() < deadline, output
            if selector.select(timeout=1):
                chunk = os.read(process.stderr.fileno(), 65536)
                assert chunk, output  # the process ended early
                output += chunk
    finally:
        process.terminate()
        process.communicate(timeout=10)
    started = [line for line in output.decode().splitlines() if "startup complete" in line]
    assert len(started) == 2
    assert any("[fake vLLM :" in line for line in started), started
    assert any("[fake LiteLLM :" in line for line in started), started


class _Built(Exception):
    """Raised in place of building the app: the config it was given is what was checked."""


@pytest.mark.parametrize(("flags", "fast"), [((), True), (("--no-fast-path",), False)])
def test_serve_litellm_no_fast_path_turns_the_chat_dispatch_off(
    monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], fast: bool
) -> None:
    import fakes.litellm

    serve_module = importlib.import_module("fakes.cli.serve")  # the name is the click group

    seen: list[bool] = []

    def build(config: fakes.litellm.LitellmConfig, **kwargs: object) -> None:
        seen.append(config.fast_path)
        raise _Built

    monkeypatch.setattr(fakes.litellm, "create_litellm_app", build)
    monkeypatch.setattr(serve_module, "_bind", lambda *args: None)  # no socket: nothing is served
    config = str(EXAMPLES / "litellm-config.yaml")
    command = ["serve", "litellm", "--config", config, "--port", "0", *flags]
    result = CliRunner().invoke(main, command)
    assert isinstance(result.exception, _Built) and seen == [fast]

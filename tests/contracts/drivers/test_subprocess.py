from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

from contracts._driver import AsyncDriver
from contracts._model import ErrorKind, Request
from contracts._target import Target
from contracts.drivers._subprocess import DriverCrash, SubprocessDriver, subprocess_spec
from contracts.plugin import select_driver
from fakes.vllm import VllmConfig, create_vllm_app
from tests.conftest import vllm_config

from .cells import expected, outcomes

SCRIPT = Path(__file__).with_name("jsonl_driver.py")
HELLO = Request(messages=({"role": "user", "content": "hi"},))


def command(mode: str) -> str:
    return shlex.join([sys.executable, str(SCRIPT), mode])


def driver(mode: str, *, app: Any = None, timeout: float = 20.0) -> SubprocessDriver:
    target = Target(base_url="http://fake.local/v1", model="fake-model", app=app)
    return SubprocessDriver(target, shlex.split(command(mode)), timeout=timeout)


def test_spec_is_an_async_driver() -> None:
    spec = subprocess_spec(command("echo"))
    assert spec.name.startswith("cmd:")
    assert isinstance(spec.factory(Target("http://x/v1", "m")), AsyncDriver)


def test_reference_driver_behind_the_protocol_matches_the_goldens() -> None:
    cells = [
        ("plain_completion", "vllm-0.24"),
        ("stream_usage", "vllm-0.4"),
        ("tool_call_stream", "vllm-0.24"),
        ("stream_cut", "vllm-0.9"),
        ("sse_crlf", "wire"),
        ("unknown_model", "vllm-0.24"),
    ]
    got = outcomes(subprocess_spec(command("reference")), cells)
    assert got == {cell: expected(*cell) for cell in cells}


def test_live_mode_uses_the_given_socket() -> None:
    cells = [("stream_usage", "vllm-0.4")]
    got = outcomes(subprocess_spec(command("reference")), cells, live=True)
    assert got == {cells[0]: expected(*cells[0])}


async def test_request_line_and_loopback() -> None:
    app = create_vllm_app(VllmConfig(**vars(vllm_config("0.9.2"))))
    sub = driver("echo", app=app)
    try:
        result = await sub.complete(HELLO.model_copy(update={"max_tokens": 5}))
    finally:
        await sub.aclose()
    sent = json.loads(result.text)
    assert sent["v"] == 1 and sent["op"] == "complete"
    assert sent["base_url"].startswith("http://127.0.0.1:") and sent["base_url"].endswith("/v1")
    assert sent["model"] == "fake-model" and sent["api_key"] is None
    assert sent["request"] == {
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
        "max_tokens": 5,
    }


async def collect_events(sub: SubprocessDriver) -> list[Any]:
    events = []
    try:
        async for event in sub.stream(HELLO):
            events.append(event)
    finally:
        await sub.aclose()
    return events


async def test_error_line_keeps_partial_output() -> None:
    from contracts._collect import collect

    sub = driver("partial-error")
    result = await collect(sub.stream(HELLO))
    await sub.aclose()
    assert result.text == "Hel"
    assert result.error is not None and result.error.kind is ErrorKind.TRUNCATED


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("crash", "TypeError: x is undefined; stderr: Traceback: something broke"),
        ("exit", "exited with code 3 before its result line; stderr: ...fatal"),
        ("garbage", "stdout line 1 is not a protocol message (log to stderr)"),
        ("bad-event", "stdout line 1: unknown event type 'smoke'"),
        ("bad-kind", "error line with unknown kind 'oops'"),
    ],
)
async def test_misbehaving_drivers_crash(mode: str, message: str) -> None:
    with pytest.raises(DriverCrash) as info:
        await collect_events(driver(mode))
    assert message in str(info.value)
    assert len(str(info.value)) < 4200  # stderr is truncated


# A bare interpreter (no site, no imports) that says it waits, then hangs: what the timeout
# must cover is its start, not jsonl_driver.py's imports, so a loaded machine cannot make the
# kill come before the stderr line it must report.
HANG = [
    sys.executable,
    "-S",
    "-c",
    "import sys, time; print('waiting', file=sys.stderr, flush=True); time.sleep(60)",
]


async def test_a_hanging_driver_is_killed() -> None:
    target = Target(base_url="http://fake.local/v1", model="fake-model")
    hanging = SubprocessDriver(target, HANG, timeout=2.0)
    with pytest.raises(DriverCrash, match=r"no result within 2 s \(killed\); stderr: waiting"):
        await collect_events(hanging)


def test_driver_and_driver_cmd_exclude_each_other() -> None:
    with pytest.raises(pytest.UsageError, match="not both"):
        select_driver("naive-chat", "node driver.mjs")
    with pytest.raises(pytest.UsageError, match="empty"):
        select_driver(None, "  ")
    assert select_driver(None, "node driver.mjs").name == "cmd:node driver.mjs"
    assert select_driver(None, None, "naive-chat").name == "naive-chat"


def test_declared_capabilities_open_the_endpoint_scenarios() -> None:
    spec = select_driver(None, command("reference"), "", ["endpoint_option"])
    assert spec.capabilities == {"endpoint_option"}
    cells = [("responses_auto_fallback", "vllm-0.9"), ("responses_pinned", "vllm-0.9")]
    assert outcomes(spec, cells) == {cell: expected(*cell) for cell in cells}
    with pytest.raises(pytest.UsageError, match=r"unknown driver capability \['teleport'\]"):
        select_driver(None, command("reference"), "", ["teleport"])


def test_matrix_runs_commands(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from fakes.cli import main

    result = CliRunner().invoke(
        main,
        [
            "matrix",
            "--driver-cmd",
            command("reference"),
            "--backend",
            "vllm-0.9",
            "--scenario",
            "plain_completion",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    cells = json.loads((tmp_path / "matrix.json").read_text())["cells"]
    by_driver = {c["driver"]: c["outcome"] for c in cells}
    # the command runs beside the default drivers, as the README says
    assert by_driver[f"cmd:{command('reference')}"] == "pass"
    assert by_driver["openai-compatible"] == "pass" and "naive-chat" in by_driver

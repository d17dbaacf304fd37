"""--replica-name: every answer carries x-inference-pod, /metrics an info series; off by default."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from fakes.cli import main
from fakes.http.replica import HEADER, check_replica_name
from fakes.vllm.options import VllmOptions
from tests.conftest import CHAT, chunks

REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/chat/completions", CHAT),
    ("POST", "/v1/chat/completions", {**CHAT, "stream": True}),
    ("POST", "/v1/chat/completions", {"model": "no-such-model", "messages": []}),
    ("GET", "/v1/nowhere", None),
    ("GET", "/health", None),
    ("GET", "/v1/models", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
async def test_every_answer_names_the_replica(
    vllm: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with vllm("0.9.2", replica_name="fake-vllm-7d9f-2") as client:
        response = await client.request(method, path, json=body)
    assert response.headers.get_list(HEADER) == ["fake-vllm-7d9f-2"]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS)
async def test_off_by_default(
    vllm: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with vllm("0.9.2") as client:
        response = await client.request(method, path, json=body)
    assert HEADER not in response.headers


async def test_the_stream_body_is_the_same_with_or_without_a_name(vllm: Any) -> None:
    bodies = []
    for name in (None, "r1"):
        async with vllm("0.9.2", replica_name=name) as client:
            response = await client.post("/v1/chat/completions", json={**CHAT, "stream": True})
        bodies.append([c["choices"] for c in chunks(response.text)])
    assert bodies[0] == bodies[1] and bodies[0]


async def test_metrics_carry_an_info_series_only_when_named(vllm: Any) -> None:
    async with vllm("0.9.2", replica_name="fake-vllm-0") as client:
        named = (await client.get("/metrics")).text
    async with vllm("0.9.2") as client:
        plain = (await client.get("/metrics")).text
    assert 'llm_fakes_replica_info{replica="fake-vllm-0"} 1.0' in named.splitlines()
    assert "llm_fakes" not in plain
    assert "vllm:num_requests_running" in plain and "vllm:num_requests_running" in named


@pytest.mark.parametrize("bad", ["", "a b", "x\r\ninjected: 1", "-lead", "é", "a" * 254])
def test_a_bad_name_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="replica name"):
        check_replica_name(bad)


def test_the_cli_refuses_a_bad_name_in_one_line() -> None:
    result = CliRunner().invoke(main, ["serve", "vllm", "--replica-name", "a b", "--port", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--replica-name'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], None),
        ({"HOSTNAME": "box"}, [], None),  # always set in a container: never a default
        ({"POD_NAME": "pod-1"}, [], "pod-1"),
        ({"POD_NAME": "pod-1", "LLM_FAKES_REPLICA_NAME": "mine"}, [], "mine"),
        ({"POD_NAME": "pod-1"}, ["--replica-name", "flag"], "flag"),
    ],
)
def test_where_the_name_comes_from(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], expected: str | None
) -> None:
    for name in ("POD_NAME", "LLM_FAKES_REPLICA_NAME", "HOSTNAME"):
        monkeypatch.delenv(name, raising=False)
    seen: list[str | None] = []

    def config(self: VllmOptions) -> None:
        seen.append(self.replica_name)
        raise OSError("stop before binding")

    monkeypatch.setattr(VllmOptions, "config", config)
    result = CliRunner().invoke(main, ["serve", "vllm", "--port", "0", *args], env=env)
    assert "stop before binding" in result.output, result.output
    assert seen == [expected]

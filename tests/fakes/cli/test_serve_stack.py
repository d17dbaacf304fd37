"""``serve stack --upstream``: each server behind the fake LiteLLM, on loopback, as a user
starts it (the old --vllm-version / --vllm-port names still work)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from fakes.cli import main
from tests._live import free_ports, stack_master_key, until_up

BANNERS = {
    "vllm": "fake vLLM 0.9.2 (vllm-0.9) on",
    "sglang": "fake SGLang 0.5.2 (",
    "ollama": "fake Ollama 0.12.6 (",
    "llamacpp": "fake llama.cpp b6000 (",
}
VERSIONS = {"vllm": "0.9.2", "sglang": "0.5.2", "ollama": "0.12.6", "llamacpp": "b6000"}


@pytest.mark.parametrize("upstream", ["vllm", "sglang", "ollama", "llamacpp"])
def test_each_upstream_serves_behind_the_fake_litellm(upstream: str) -> None:
    upstream_port, litellm_port = free_ports(2)
    # vLLM through the old option names, the others through the new ones
    old = upstream == "vllm"
    command = [sys.executable, "-m", "fakes", "serve", "stack", "--litellm-port", str(litellm_port)]
    command += ["--upstream", upstream]
    command += ["--vllm-version" if old else "--upstream-version", VERSIONS[upstream]]
    command += ["--vllm-port" if old else "--upstream-port", str(upstream_port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    banner: list[str] = []
    try:
        key, banner = stack_master_key(process)
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
        response = until_up(
            lambda: httpx.post(
                f"http://127.0.0.1:{litellm_port}/v1/chat/completions",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=5,
            ),
            process,
        )
        log = httpx.get(f"http://127.0.0.1:{upstream_port}/_fake/requests", timeout=5).json()
    finally:
        process.terminate()
        process.communicate(timeout=10)  # closes the pipe too
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"]
    first = banner[0]
    assert f"-> {BANNERS[upstream]}" in first and f"127.0.0.1:{upstream_port}" in first, first
    provider = "hosted_vllm" if upstream == "vllm" else "openai"
    assert first.rstrip().endswith(f"as {provider}/fake-model"), first
    [sent] = [e for e in log["requests"] if e["path"] == "/v1/chat/completions"]
    assert sent["json"]["model"] == "fake-model"


def test_an_unknown_upstream_lists_the_choices() -> None:
    result = CliRunner().invoke(main, ["serve", "stack", "--upstream", "tgi"])
    assert result.exit_code == 2
    assert "'tgi' is not one of 'vllm', 'sglang', 'ollama', 'llamacpp'" in result.output


def test_a_release_no_profile_covers_is_a_clean_error() -> None:
    result = CliRunner().invoke(
        main, ["serve", "stack", "--upstream", "sglang", "--upstream-version", "0.1.0"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: sglang 0.1.0 is outside every known range"), (
        result.output
    )

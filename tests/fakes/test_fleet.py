"""``serve fleet``: the fleet file, the LiteLLM config it writes, and a two-replica fleet
(one failing) answering through the fake LiteLLM in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner

from fakes.cli import main
from fakes.fleet import FleetError, litellm_config, load_fleet
from tests._live import free_ports, wait_until_answering

KEY = "sk-fleet-test-Str0ng-key-1234567890"


def _fleet(path: Path, ports: list[int]) -> Path:
    path.write_text(
        f"""model: fake-model
litellm:
  port: {ports[2]}
  master_key: {KEY}
  router_settings:
    num_retries: 2
    allowed_fails: 1
    cooldown_time: 60
    llm_fakes_seed: 3
replicas:
  - name: good
    version: 0.12.0
    port: {ports[0]}
    weight: 0.000000000001
  - name: bad
    version: 0.9.2
    port: {ports[1]}
    weight: 1
    faults:
      - fault: {{kind: http_error, status: 500}}
"""
    )
    return path


def test_print_litellm_config_writes_one_deployment_per_replica(tmp_path: Path) -> None:
    path = _fleet(tmp_path / "fleet.yaml", [8101, 8102, 4100])
    result = CliRunner().invoke(main, ["serve", "fleet", str(path), "--print-litellm-config"])
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.output)
    assert [d["model_info"]["id"] for d in config["model_list"]] == ["good", "bad"]
    assert config["model_list"][1]["litellm_params"] == {
        "model": "hosted_vllm/fake-model",
        "api_base": "http://127.0.0.1:8102/v1",
        "api_key": "none",
        "weight": 1.0,
    }
    assert config["router_settings"] == {"num_retries": 2, "allowed_fails": 1, "cooldown_time": 60}
    assert config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY"}


def test_virtual_keys_and_slots_reach_the_fakes_config_and_slots_the_real_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "litellm:\n  keys:\n    sk-team-a: {rpm_limit: 2, max_parallel_requests: 1}\n"
        "replicas: [{name: a, max_parallel_requests: 4}]\n"
    )
    fleet = load_fleet(path)
    fake = yaml.safe_load(litellm_config(fleet, ["http://h:1"], KEY))
    real = yaml.safe_load(litellm_config(fleet, ["http://h:1"], KEY, for_real=True))
    assert fake["general_settings"]["llm_fakes_keys"] == {
        "sk-team-a": {"rpm_limit": 2, "max_parallel_requests": 1}
    }
    assert real["general_settings"] == {"master_key": KEY}
    for config in (fake, real):
        assert config["model_list"][0]["litellm_params"]["max_parallel_requests"] == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("replicas: []\n", "replicas: Tuple should have at least 1 item"),
        ("litellm: {keys: {sk-a: {rpm: 1}}}\nreplicas: [{name: a}]\n", "keys.sk-a.rpm: Extra"),
        ("replicas: [{name: a}, {name: a}]\n", "replica names must be distinct: a"),
        ("replicas: [{name: a, colour: red}]\n", "replicas.0.colour: Extra inputs"),
        ("replicas: [{name: a, faults: [{fault: {kind: boom}}]}]\n", "replicas.0.faults.0"),
    ],
)
def test_a_bad_fleet_file_names_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    with pytest.raises(FleetError, match=message):
        load_fleet(path)


def test_a_replica_on_port_0_cannot_be_printed(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text("replicas: [{name: a, port: 0}]\n")
    result = CliRunner().invoke(main, ["serve", "fleet", str(path), "--print-litellm-config"])
    assert result.exit_code == 1 and "a have port 0" in result.output


def test_a_fleet_with_one_failing_replica_retries_cools_down_and_names_replicas(
    tmp_path: Path,
) -> None:
    ports = free_ports(3)
    path = _fleet(tmp_path / "fleet.yaml", ports)
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes", "serve", "fleet", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proxy = f"http://127.0.0.1:{ports[2]}"
    try:
        wait_until_answering(f"{proxy}/health/liveliness", process)
        body = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
        auth = {"authorization": f"Bearer {KEY}"}
        with httpx.Client(timeout=30) as client:
            answers = [
                client.post(f"{proxy}/v1/chat/completions", json=body, headers=auth)
                for _ in range(2)
            ]
            bad_log = client.get(f"http://127.0.0.1:{ports[1]}/_fake/requests").json()
            metrics = client.get(f"http://127.0.0.1:{ports[1]}/metrics").text
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    first, second = answers
    assert first.status_code == second.status_code == 200
    # by weight the failing replica is picked, twice (allowed_fails 1), then cools down
    assert first.headers["x-litellm-attempted-retries"] == "2"
    assert second.headers["x-litellm-attempted-retries"] == "0"
    for answer in answers:
        assert answer.headers["x-litellm-model-id"] == "good"
        assert answer.headers["llm_provider-x-inference-pod"] == "good"
        assert answer.headers["x-litellm-model-api-base"] == f"http://127.0.0.1:{ports[0]}/v1"
        assert answer.json()["model"] == "fake-model"
    assert bad_log["total"] == 2  # tried twice, then cooled down
    assert 'llm_fakes_replica_info{replica="bad"} 1.0' in metrics
    assert b"replica bad: fake vLLM 0.9.2" in err

"""The Helm chart, rendered by Helm v4's own engine and checked against Kubernetes' schemas."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from fakes.cli import main
from tests._tools import import_or_skip

helm = import_or_skip("helm_python", "chart", "the chart extra: pip install -e '.[chart]'")
kubernetes_validate = import_or_skip(
    "kubernetes_validate", "chart", "the chart extra: pip install -e '.[chart]'"
)

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "llm-fakes"
KUBERNETES = "1.37.0"
TOKEN = {"controlPlane": {"token": {"value": "control-s3cret"}}}
# every `serve vllm` value set away from its default
EVERY_FLAG = {
    "version": "0.9.2",
    "profile": "vllm-0.9",
    "model": "org/model",
    "servedModelNames": ["a", "b"],
    "apiKeys": ["sk-1", "sk-2"],
    "enableAutoToolChoice": True,
    "toolCallParser": "hermes",
    "reasoningParser": "deepseek_r1",
    "maxNumSeqs": 4,
    "maxModelLen": 4096,
    "ttft": 0.25,
    "itl": 0.01,
    "jitter": 0.1,
    "seed": 7,
    "script": {"rules": [{"reply": {"text": "hello"}}]},
    "fastapi": "0.123.10",
    "sitePackages": "/usr/lib/python3/dist-packages",
    "logLimit": 50,
    "recordingsDir": "/var/lib/llm-fakes/recordings",
    "workers": 2,
    "startupDelay": 30,
    "fastPath": False,
}
# flags the chart passes another way: host and port always, the token and the name by env
BY_ENV = {"--control-token": "LLM_FAKES_CONTROL_TOKEN", "--replica-name": "POD_NAME"}
FLEET = {
    **TOKEN,
    "replicas": 2,
    "fleet": [
        {"name": "old", "replicas": 3, "vllm": {"version": "0.6.4", "servedModelNames": ["m"]}},
        {"name": "new", "vllm": {"version": "0.12.0", "servedModelNames": ["m"], "ttft": 0.2}},
    ],
    "litellm": {"enabled": True, "masterKey": {"value": "sk-master"}},
    "metrics": {"podMonitor": {"enabled": True}},
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name="demo", namespace="test")
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


def kinds(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def env(deployment: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("valueFrom") for e in container(deployment).get("env", [])}


def serve_vllm() -> click.Command:
    group = main.commands["serve"]
    assert isinstance(group, click.Group)
    return group.commands["vllm"]


def test_an_open_control_plane_fails_the_render_like_the_cli() -> None:
    with pytest.raises(helm.HelmError, match="controlPlane: pods listen beyond loopback"):
        render({})


@pytest.mark.parametrize(
    "values",
    [TOKEN, FLEET, {"controlPlane": {"enabled": False}, "vllm": EVERY_FLAG}],
    ids=["defaults", "fleet-litellm-podmonitor", "every-flag"],
)
def test_every_manifest_is_valid_kubernetes(values: dict[str, Any]) -> None:
    docs = render(values)
    assert docs
    for doc in docs:
        if doc["apiVersion"] == "monitoring.coreos.com/v1":
            continue  # a CRD: its shape is checked below
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_validator_rejects_an_unknown_field() -> None:
    deployment = copy.deepcopy(next(iter(kinds(render(TOKEN), "Deployment").values())))
    container(deployment)  # the shape the tests rely on
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["bogus"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_every_serve_vllm_flag_has_a_value_and_the_cli_accepts_the_args() -> None:
    docs = render({**TOKEN, "vllm": EVERY_FLAG})
    [deployment] = kinds(docs, "Deployment").values()
    args = container(deployment)["args"]
    assert args[:2] == ["serve", "vllm"]
    flags = {a for a in args if a.startswith("--")}
    options = {o for p in serve_vllm().params for o in p.opts if o.startswith("--")}
    assert options - flags == {"--no-control-plane", *BY_ENV}  # that one: test below
    variables = env(deployment)
    assert set(BY_ENV.values()) <= set(variables)
    # Kubernetes expands $(NAME) from the container's env: substitute, then parse for real
    expanded = [re.sub(r"\$\((\w+)\)", r"value-of-\1", a) for a in args[2:]]
    context = serve_vllm().make_context("vllm", expanded, resilient_parsing=False)
    params = context.params
    assert params["host"] == "0.0.0.0" and params["port"] == 8000
    assert params["served"] == ("a", "b") and params["max_num_seqs"] == 4
    assert params["api_keys"] == ("value-of-LLM_FAKES_API_KEY_0", "value-of-LLM_FAKES_API_KEY_1")
    assert params["startup_delay"] == 30 and params["ttft"] == 0.25
    assert params["script_path"] == "/etc/llm-fakes/script.yaml"
    assert params["fastapi"] == "0.123.10"
    assert params["site_packages"] == "/usr/lib/python3/dist-packages"


def test_no_control_plane_is_passed_when_disabled() -> None:
    docs = render({"controlPlane": {"enabled": False}})
    [deployment] = kinds(docs, "Deployment").values()
    assert "--no-control-plane" in container(deployment)["args"]
    assert "LLM_FAKES_CONTROL_TOKEN" not in env(deployment)
    assert not kinds(docs, "Secret")


def test_a_fleet_is_one_deployment_per_entry_with_its_profile() -> None:
    docs = render(FLEET)
    deployments = kinds(docs, "Deployment")
    assert set(deployments) == {
        "demo-llm-fakes-old",
        "demo-llm-fakes-new",
        "demo-llm-fakes-litellm",
    }
    old, new = deployments["demo-llm-fakes-old"], deployments["demo-llm-fakes-new"]
    assert old["spec"]["replicas"] == 3 and new["spec"]["replicas"] == 2  # the shared default
    old_args, new_args = container(old)["args"], container(new)["args"]
    assert old_args[old_args.index("--version") + 1] == "0.6.4"
    assert new_args[new_args.index("--version") + 1] == "0.12.0"
    assert new_args[new_args.index("--ttft") + 1] == "0.2"
    assert old_args[old_args.index("--ttft") + 1] == "0"
    # each Service selects its own Deployment's pods only
    for name, service in kinds(docs, "Service").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
    selectors = [
        tuple(sorted(d["spec"]["selector"]["matchLabels"].items())) for d in deployments.values()
    ]
    assert len(set(selectors)) == 3


def test_a_fleet_name_used_twice_fails_the_render() -> None:
    values = {**TOKEN, "fleet": [{"name": "a"}, {"name": "a"}]}
    with pytest.raises(helm.HelmError, match='the name "a" is used twice'):
        render(values)


def test_pods_name_themselves_are_probed_on_health_and_scraped() -> None:
    [deployment] = kinds(render(TOKEN), "Deployment").values()
    pod = deployment["spec"]["template"]
    assert env(deployment)["POD_NAME"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    for probe in ("readinessProbe", "startupProbe"):
        assert container(deployment)[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert pod["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8000",
        "prometheus.io/path": "/metrics",
    }


def test_secrets_carry_the_control_token_and_the_master_key() -> None:
    docs = render(FLEET)
    secrets = kinds(docs, "Secret")
    assert secrets["demo-llm-fakes-control"]["stringData"] == {"control-token": "control-s3cret"}
    assert secrets["demo-llm-fakes-litellm"]["stringData"] == {"master-key": "sk-master"}
    deployments = kinds(docs, "Deployment")
    reference = {"secretKeyRef": {"name": "demo-llm-fakes-control", "key": "control-token"}}
    for deployment in deployments.values():
        assert env(deployment)["LLM_FAKES_CONTROL_TOKEN"] == reference
        assert "control-s3cret" not in yaml.safe_dump(deployment)
    litellm = deployments["demo-llm-fakes-litellm"]
    assert env(litellm)["LITELLM_MASTER_KEY"] == {
        "secretKeyRef": {"name": "demo-llm-fakes-litellm", "key": "master-key"}
    }


def test_existing_secrets_are_used_not_made() -> None:
    values = {
        "controlPlane": {"token": {"existingSecret": "mine", "key": "t"}},
        "litellm": {"enabled": True, "masterKey": {"existingSecret": "keys", "key": "k"}},
    }
    docs = render(values)
    assert not kinds(docs, "Secret")
    deployments = kinds(docs, "Deployment")
    assert env(deployments["demo-llm-fakes"])["LLM_FAKES_CONTROL_TOKEN"] == {
        "secretKeyRef": {"name": "mine", "key": "t"}
    }
    assert env(deployments["demo-llm-fakes-litellm"])["LITELLM_MASTER_KEY"] == {
        "secretKeyRef": {"name": "keys", "key": "k"}
    }


def test_the_litellm_config_routes_each_model_to_its_fleet_services() -> None:
    docs = render(FLEET)
    config_map = kinds(docs, "ConfigMap")["demo-llm-fakes-litellm"]
    text = config_map["data"]["config.yaml"]
    config = yaml.safe_load(text)
    bases = [(m["model_name"], m["litellm_params"]["api_base"]) for m in config["model_list"]]
    assert bases == [
        ("m", "http://demo-llm-fakes-old:8000/v1"),
        ("m", "http://demo-llm-fakes-new:8000/v1"),
    ]
    assert config["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY"}


def test_the_fake_litellm_reads_the_rendered_config(tmp_path: Path) -> None:
    from fakes.cli.serve import _litellm_config

    docs = render(FLEET)
    path = tmp_path / "config.yaml"
    path.write_text(kinds(docs, "ConfigMap")["demo-llm-fakes-litellm"]["data"]["config.yaml"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITELLM_MASTER_KEY", "sk-from-secret")
        config, _ = _litellm_config(str(path), None, None)
    assert config.master_key == "sk-from-secret"
    assert config.model_names == ["m"]


def test_the_pod_monitor_selects_the_vllm_pods() -> None:
    docs = render(FLEET)
    [monitor] = kinds(docs, "PodMonitor").values()
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint == {"port": "http", "path": "/metrics", "interval": "15s"}
    selector = monitor["spec"]["selector"]["matchLabels"].items()
    for name, deployment in kinds(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"].items()
        assert (selector <= labels) == (name != "demo-llm-fakes-litellm"), name
    assert not kinds(render(TOKEN), "PodMonitor")


def test_helm_lint_finds_no_warning() -> None:
    report = helm.lint(CHART, TOKEN, strict=True)
    assert report["total_charts_linted"] == 1 and report["errors"] == [], report
    assert [m for m in report["messages"] if m["severity"] >= 2] == [], report  # 1: info

"""A fake LiteLLM in front of a fake vLLM: the proxy's line, and the vLLM behind it where the
re-framing lets it through."""

from __future__ import annotations

import asyncio

import pytest

from fakes.http.server import live
from fakes.litellm import resolve_litellm_profile, stack_app
from fakes.probe import MAX_REQUESTS, Report, probe_url, profile_yaml
from fakes.profiles import builtin
from fakes.vllm import VllmConfig, create_vllm_app

MASTER = "sk-probe-master-0123456789"
STACKS = [
    # the proxy drops null fields and re-frames the stream: 0.9.0-0.9.1's null-free chunks and
    # 0.9.0's /tokenize do not reach the client
    ("1.110.2", "vllm-0.9", ["vllm-0.9.0", "vllm-0.9.1", "vllm-0.9"]),
    # 0.5.4's usage on every chat chunk does not reach the client either (the proxy re-frames
    # the stream); 0.5.5's wording of the stream_options error does
    ("1.110.2", "vllm-0.5", ["vllm-0.5", "vllm-0.5.4"]),
    ("1.110.2", "vllm-0.10.0", ["vllm-0.10.0"]),
    # nested errors and 16-hex ids on: the proxy shows nothing that tells 0.12 ... 0.23 apart
    (
        "1.110.2",
        "vllm-0.12",
        [
            "vllm-0.12",
            "vllm-0.13",
            "vllm-0.14",
            "vllm-0.15",
            "vllm-0.16",
            "vllm-0.17",
            "vllm-0.18",
            "vllm-0.19",
            "vllm-0.20",
            "vllm-0.21",
            "vllm-0.22",
            "vllm-0.23",
        ],
    ),
    # through the proxy 0.6.5 looks like 0.6.4 (what tells them apart does not reach the client),
    # and so do 0.7.0-0.8.2, which refuse tool_choice "required" as 0.6.4 does
    ("1.74.15", "vllm-0.6.4", ["vllm-0.6.4", "vllm-0.6.5", "vllm-0.7.0", "vllm-0.7.1"]),
    # 1.74 forwards only the upstream's error message: 0.8.3 ... 0.11.2 (32-hex ids) look alike
    (
        "1.74.15",
        "vllm-0.9",
        [
            "vllm-0.7",
            "vllm-0.9.0",
            "vllm-0.9.1",
            "vllm-0.9",
            "vllm-0.10.0",
            "vllm-0.10.1",
            "vllm-0.10.2",
            "vllm-0.11",
            "vllm-0.11.1",
        ],
    ),
]


def probe_stack(litellm: str, vllm: str) -> Report:
    profile = builtin("vllm").get(vllm)
    upstream = create_vllm_app(VllmConfig(profile=profile, version=profile.reference))
    app = stack_app(litellm, upstream, master_key=MASTER)
    proxy, _ = resolve_litellm_profile(litellm, None)
    with live(app, server_header=proxy.knobs.server_header) as server:
        return asyncio.run(probe_url(server.url, api_key=MASTER, rate=0))


@pytest.mark.live
@pytest.mark.parametrize(
    ("litellm", "vllm", "behind"), STACKS, ids=[f"{s[0]}-{s[1]}" for s in STACKS]
)
def test_the_proxy_line_and_the_vllm_behind_it(litellm: str, vllm: str, behind: list[str]) -> None:
    report = probe_stack(litellm, vllm)
    proxy, upstream = report.layers
    line = "litellm-1.74" if litellm.startswith("1.74") else "litellm-1.110"
    assert proxy.backend == "litellm"
    assert [m.profile.name for m in proxy.tied] == [line]
    assert not proxy.best.differences
    assert upstream.backend == "vllm"
    assert [m.profile.name for m in upstream.tied] == behind
    assert not upstream.best.differences
    assert "re-framed by the LiteLLM proxy" in upstream.observed.unobserved["role_chunk_content"]
    assert report.run.requests <= MAX_REQUESTS


@pytest.mark.live
def test_the_proxy_profile_yaml_extends_its_line() -> None:
    report = probe_stack("1.74.15", "vllm-0.9")
    text = profile_yaml(report.primary, report.run.base_url)
    assert "extends: litellm-1.74\n" in text
    assert "serve litellm" in text


# The real proxies answer `messages: "not a list"` themselves (seen with the `make
# conformance` machinery), 1.110.2 naming the provider although the upstream never answered.
OWN_ERRORS = [
    "'str' object has no attribute 'get'",
    "Invalid request format: litellm.APIConnectionError: APIConnectionError: "
    "Hosted_vllmException - 'str' object has no attribute 'get'\n\nLiteLLM: model group "
    "'fake-model' failed with the error above. No fallback was attempted.",
]


@pytest.mark.parametrize("message", OWN_ERRORS, ids=["plain", "connection-error"])
async def test_errors_the_proxy_answers_itself_say_nothing_about_the_upstream(
    message: str,
) -> None:
    import json
    from dataclasses import replace

    from fakes.probe._litellm import observe_upstream
    from fakes.transports.streaming import StreamingASGITransport

    profile = builtin("vllm").get("vllm-0.9")
    upstream = create_vllm_app(VllmConfig(profile=profile, version=profile.reference))
    app = stack_app("1.110.2", upstream, master_key=MASTER)
    report = await probe_url(
        "http://proxy.test", api_key=MASTER, rate=0, transport=StreamingASGITransport(app)
    )
    run = report.run
    own = json.dumps({"error": {"message": message, "type": None, "param": None, "code": "400"}})
    run.exchanges["invalid"] = replace(run.exchanges["invalid"], body=own.encode())
    seen = observe_upstream(run)
    # the shape still comes through: the upstream's own 400 for stream_options without stream
    assert seen.knobs["error_shape"].value == "flat"
    assert seen.knobs["validation_error_type"].value == "Bad Request"
    assert seen.knobs["error_shape"].evidence.startswith("stream-options-no-stream -> 400:")


LITELLM_CHANGED = [
    ("litellm-1.110", "usage_chunk", "empty_delta"),
    ("litellm-1.110", "security_headers", False),
    ("litellm-1.74", "response_model", "alias"),
]


@pytest.mark.live
@pytest.mark.parametrize(
    ("name", "knob", "value"), LITELLM_CHANGED, ids=[f"{c[0]}-{c[1]}" for c in LITELLM_CHANGED]
)
def test_one_changed_proxy_knob_is_the_only_difference(name: str, knob: str, value: object) -> None:
    from fakes.litellm._config import Deployment, LitellmConfig
    from fakes.litellm._stack import STACK_API_BASE
    from fakes.litellm.app import create_litellm_app
    from fakes.profiles import with_knobs
    from fakes.transports.streaming import StreamingASGITransport

    proxy = with_knobs(builtin("litellm").get(name), {knob: value})
    vllm = builtin("vllm").get("vllm-0.9")
    upstream = create_vllm_app(VllmConfig(profile=vllm, version=vllm.reference))
    deployment = Deployment(
        model_name="fake-model",
        provider="hosted_vllm",
        upstream_model="fake-model",
        api_base=STACK_API_BASE,
    )
    config = LitellmConfig(
        profile=proxy, version=proxy.reference, deployments=(deployment,), master_key=MASTER
    )
    app = create_litellm_app(config, transport=StreamingASGITransport(upstream))
    with live(app, server_header=proxy.knobs.server_header) as server:
        report = asyncio.run(probe_url(server.url, api_key=MASTER, rate=0))
    layer = report.primary
    assert layer.best.profile.name == name
    assert [(d.knob, d.observed) for d in layer.best.differences] == [(knob, value)]


@pytest.mark.live
def test_the_report_through_litellm_gives_a_reason_one_line() -> None:
    from io import StringIO

    from rich.console import Console

    from fakes.probe._report import render

    report = probe_stack("1.74.15", "vllm-0.9")
    buffer = StringIO()
    render(report, Console(file=buffer, width=100_000, no_color=True))
    text = buffer.getvalue()
    upstream = report.layers[1]
    reframed = [k for k, why in upstream.observed.unobserved.items() if "re-framed" in why]
    assert len(reframed) > 10
    [line] = [line for line in text.splitlines() if "re-framed by the LiteLLM proxy" in line]
    assert line.strip().startswith(f"{len(reframed)} knobs re-framed by the LiteLLM proxy: ")
    assert all(knob in line for knob in reframed)
    tie = len(upstream.tied)
    assert f"inherited from vllm-0.7, the first of the {tie} tied profiles):" in text

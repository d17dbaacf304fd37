"""Run the probe set and judge it: the vLLM verdict, and the LiteLLM proxy's when one is in
front; Ollama's when its fingerprint shows."""

from __future__ import annotations

import httpx

from fakes.probe._client import ProbeClient
from fakes.probe._litellm import is_litellm, observe_litellm, observe_upstream
from fakes.probe._llamacpp import is_llamacpp, observe_llamacpp
from fakes.probe._match import rank
from fakes.probe._observe import observe_vllm
from fakes.probe._ollama import is_ollama, native_probes, observe_ollama
from fakes.probe._probes import run_probes
from fakes.probe._report import Layer, Report
from fakes.probe._sglang import is_sglang, observe_sglang
from fakes.profiles import builtin


def normalize_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    for suffix in ("/v1/chat/completions", "/v1"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
    return url


async def probe(client: ProbeClient, model: str | None = None) -> Report:
    run = await run_probes(client, model)
    report = Report(run)
    if is_litellm(run):
        proxy = observe_litellm(run)
        report.layers.append(Layer("litellm", proxy, rank(builtin("litellm"), proxy)))
        upstream = observe_upstream(run)
        note = (
            f"behind the LiteLLM proxy: {len(upstream.knobs)} vLLM knobs get through "
            "(ids, wrapped error messages, tool-choice answers)"
        )
        report.layers.append(Layer("vllm", upstream, rank(builtin("vllm"), upstream), note))
        return report
    if is_ollama(run):
        await native_probes(client, run)
        ollama = observe_ollama(run)
        report.layers.append(Layer("ollama", ollama, rank(builtin("ollama"), ollama)))
        return report
    if is_llamacpp(run):
        observed = observe_llamacpp(run)
        report.layers.append(Layer("llamacpp", observed, rank(builtin("llamacpp"), observed)))
        return report
    if is_sglang(run):
        sglang = observe_sglang(run)
        report.layers.append(Layer("sglang", sglang, rank(builtin("sglang"), sglang)))
        return report
    observed = observe_vllm(run)
    report.layers.append(Layer("vllm", observed, rank(builtin("vllm"), observed)))
    return report


async def probe_url(
    url: str,
    *,
    api_key: str | None = None,
    model: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    rate: float = 5.0,
) -> Report:
    client = ProbeClient(normalize_url(url), api_key=api_key, transport=transport, rate=rate)
    try:
        return await probe(client, model)
    finally:
        await client.aclose()

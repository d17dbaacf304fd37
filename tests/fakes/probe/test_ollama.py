"""The probe tells a fake Ollama from vLLM and LiteLLM, and its release range."""

from __future__ import annotations

import httpx
import pytest

from fakes.ollama import OllamaConfig, create_ollama_app
from fakes.probe import probe_url
from fakes.profiles import builtin


async def _probe(release: str) -> object:
    profile = builtin("ollama").for_release(release)
    app = create_ollama_app(OllamaConfig(profile=profile, version=release))
    transport = httpx.ASGITransport(app=app)
    return await probe_url("http://fake", transport=transport, rate=0)


@pytest.mark.parametrize(
    ("release", "expected"),
    [
        ("0.3.5", "ollama-0.3"),
        ("0.4.6", "ollama-0.4.6"),
        ("0.5.4", "ollama-0.5.2"),
        ("0.13.5", "ollama-0.13.3"),
        ("0.32.9", "ollama-0.32.6"),
    ],
)
async def test_the_probe_names_the_ollama_release_range(release: str, expected: str) -> None:
    report = await _probe(release)
    layer = report.primary  # type: ignore[attr-defined]
    assert [layer.backend for layer in report.layers] == ["ollama"]  # type: ignore[attr-defined]
    assert layer.best.profile.name == expected
    assert layer.best.differences == ()
    assert layer.observed.info["version"].value == release
    assert layer.best.compared >= 7


async def test_held_and_incremental_tool_streams_tie_and_say_so() -> None:
    from fakes.probe._match import separating_knobs

    layer = (await _probe("0.5.12")).primary  # type: ignore[attr-defined]
    assert [m.profile.name for m in layer.tied] == ["ollama-0.5.12", "ollama-0.8"]
    assert separating_knobs(layer.tied) == ["stream_tools"]

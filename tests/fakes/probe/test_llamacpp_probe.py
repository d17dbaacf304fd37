"""The probe tells llama-server apart from vLLM, and its builds from each other."""

from __future__ import annotations

import httpx
import pytest

from fakes.llamacpp import LlamacppConfig, create_llamacpp_app
from fakes.probe._probe import probe_url
from fakes.profiles import builtin

BUILDS = [profile.name for profile in builtin("llamacpp")]


@pytest.mark.parametrize("name", BUILDS)
async def test_each_build_is_its_own_best_match(name: str) -> None:
    profile = builtin("llamacpp").get(name)
    app = create_llamacpp_app(LlamacppConfig(profile=profile, build=int(profile.reference)))
    report = await probe_url("http://fake", transport=httpx.ASGITransport(app=app), rate=1000)
    layer = report.primary
    assert layer.backend == "llamacpp"
    best = layer.ranking[0]
    assert best.profile.name == name and best.matched == best.compared > 0
    assert layer.ranking[1].matched < best.matched
    build = layer.observed.info.get("build")
    assert (build.value if build else None) == (
        None if name == "llamacpp-b3600" else f"b{profile.reference}"
    )

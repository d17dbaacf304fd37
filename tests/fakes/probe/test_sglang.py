"""The probe tells SGLang from vLLM (owned_by "sglang"), and each SGLang profile finds itself."""

from __future__ import annotations

import pytest

from fakes.profiles import builtin
from fakes.profiles._sglang import SglangProfile
from fakes.sglang import SglangConfig, create_sglang_app
from tests.fakes.probe.conftest import probe_app, vllm_app

SGLANG = builtin("sglang")


@pytest.mark.parametrize("profile", list(SGLANG), ids=SGLANG.names())
async def test_each_sglang_profile_is_its_own_best_match(profile: SglangProfile) -> None:
    app = create_sglang_app(SglangConfig(profile=profile, version=profile.reference))
    report = await probe_app(app)
    layer = report.primary
    assert layer.backend == "sglang"
    assert [m.profile.name for m in layer.tied] == [profile.name]
    assert layer.best.differences == ()
    assert layer.best.compared >= 8


async def test_a_vllm_is_not_taken_for_sglang() -> None:
    report = await probe_app(vllm_app(builtin("vllm").newest()))
    assert [layer.backend for layer in report.layers] == ["vllm"]

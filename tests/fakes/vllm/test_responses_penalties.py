"""/v1/responses presence_penalty and frequency_penalty: typed fields from 0.20 (knob
responses_penalties), extra fields that nothing reads before; never a traceback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fakes.profiles import Profile, ResponsesRoute, builtin
from fakes.vllm import VllmConfig, create_vllm_app

SERVING = [p for p in builtin("vllm") if p.knobs.responses is not ResponsesRoute.ABSENT]
PENALTIES = ("presence_penalty", "frequency_penalty")


async def _post(profile: Profile, body: dict[str, Any]) -> httpx.Response:
    app = create_vllm_app(VllmConfig(profile=profile, version=profile.reference))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        return await client.post("/v1/responses", json={"input": "hi", **body})


@pytest.mark.parametrize("name", PENALTIES)
@pytest.mark.parametrize("profile", SERVING, ids=lambda p: p.name)
async def test_a_penalty_that_is_not_a_number(profile: Profile, name: str) -> None:
    response = await _post(profile, {name: "x"})
    if not profile.knobs.responses_penalties:
        assert response.status_code == 200  # an extra field: nothing reads it
        assert response.json().get(name, 0.0) == 0.0
        return
    assert response.status_code == 400
    error = response.json()["error"]
    assert "float_parsing" in error["message"]
    assert "Input should be a valid number, unable to parse string as a number" in error["message"]
    assert name in error["message"]


@pytest.mark.parametrize("profile", [p for p in SERVING if p.knobs.responses_penalties])
async def test_typed_penalties_are_bounded_and_reach_the_body(profile: Profile) -> None:
    response = await _post(profile, {"presence_penalty": 2.5})
    assert response.status_code == 400
    assert "Input should be less than or equal to 2" in response.json()["error"]["message"]
    response = await _post(profile, {"presence_penalty": -0.5, "frequency_penalty": 1})
    assert response.status_code == 200
    body = response.json()
    assert (body["presence_penalty"], body["frequency_penalty"]) == (-0.5, 1.0)


def test_the_releases_split_at_0_20() -> None:
    with_fields = {p.name for p in SERVING if p.knobs.responses_penalties}
    assert "vllm-0.18" not in with_fields
    assert {"vllm-0.20", "vllm-0.34"} <= with_fields

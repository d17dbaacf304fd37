"""Random bodies never produce a 500 (except where vLLM itself answers one)."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes.vllm import create_vllm_app
from tests.conftest import vllm_config

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10_000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "n",
    "tools",
    "tool_choice",
    "temperature",
    "stop",
    "max_completion_tokens",
    "prompt",
    "input",
]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(["user", "system", 3]),
            "content": st.text(max_size=30) | st.none(),
        }
    ),
    max_size=3,
)
plausible = st.fixed_dictionaries(
    {"model": st.just("fake-model"), "messages": messages},
    optional={k: json_values for k in FIELDS[2:10]},
)
raw = st.binary(max_size=64)

APPS = {v: create_vllm_app(vllm_config(v, max_model_len=512)) for v in ("0.4.3", "0.6.3", "0.12.0")}
PATHS = ["/v1/chat/completions", "/v1/completions", "/v1/responses"]

# 0.9.x is left out: it really answers a plain 500 to unknown tool_choice strings
# (tested in test_errors.py).


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from(sorted(APPS)), path=st.sampled_from(PATHS), body=bodies | plausible)
def test_random_json_bodies_never_500(version: str, path: str, body: Any) -> None:
    transport = httpx.ASGITransport(app=APPS[version])

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            return await client.post(path, json=body)

    import asyncio

    response = asyncio.run(send())
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


@settings(max_examples=60, deadline=None)
@given(version=st.sampled_from(sorted(APPS)), path=st.sampled_from(PATHS), body=raw)
def test_random_bytes_never_500(version: str, path: str, body: bytes) -> None:
    transport = httpx.ASGITransport(app=APPS[version])

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            return await client.post(
                path, content=body, headers={"content-type": "application/json"}
            )

    import asyncio

    response = asyncio.run(send())
    assert response.status_code < 500, response.text

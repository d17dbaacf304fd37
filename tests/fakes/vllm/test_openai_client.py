"""The real openai-python client (3.x, on httpx2) against every built-in profile."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from fakes.http.server import LiveServer, live
from fakes.profiles import builtin
from fakes.vllm import create_vllm_app
from tests.conftest import WEATHER_TOOLS as TOOLS
from tests.conftest import vllm_config

VERSIONS = [p.reference for p in builtin("vllm")]


@pytest.fixture(scope="module", params=VERSIONS)
def server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    app = create_vllm_app(
        vllm_config(request.param, enable_auto_tool_choice=True, tool_call_parser="hermes")
    )
    with live(app) as running:
        yield running


@pytest.fixture
def client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="none", max_retries=0, timeout=10)


MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.mark.live
def test_chat(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="fake-model", messages=MESSAGES, max_tokens=4)
    assert result.choices[0].message.content == "Lorem ipsum dolor sit"
    assert result.choices[0].finish_reason == "length"
    assert result.usage is not None and result.usage.completion_tokens == 4


@pytest.mark.live
def test_stream_collects_the_same_text(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="fake-model", messages=MESSAGES, stream=True, max_tokens=4
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Lorem ipsum dolor sit"


@pytest.mark.live
def test_named_tool_call(client: openai.OpenAI, server: LiveServer) -> None:
    fake = server.app.state.fake  # type: ignore[attr-defined]
    if not fake.knobs.tools:
        assert fake.version.startswith("0.4."), f"{fake.version} has no tools"  # only 0.4
        pytest.skip("0.4 has no tools")
    result = client.chat.completions.create(
        model="fake-model",
        messages=MESSAGES,
        tools=TOOLS,  # type: ignore[arg-type]
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert call.function.arguments == '{"city": "value"}'  # type: ignore[union-attr]


@pytest.mark.live
def test_unknown_model_raises_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="nope", messages=MESSAGES)  # type: ignore[arg-type]
    assert "does not exist" in str(raised.value)

"""The real openai-python client (3.x, on httpx2) against a live stack on real sockets:
the seed scenario, a stream without include_usage, ends without usage."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from fakes.http.server import LiveServer, live
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.vllm import create_vllm_app
from tests.conftest import WEATHER_TOOLS, vllm_config
from tests.fakes.litellm.conftest import KEY, VERSIONS

MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module", params=VERSIONS)
def proxy(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    vllm = create_vllm_app(
        vllm_config("0.9.2", enable_auto_tool_choice=True, tool_call_parser="hermes")
    )
    with live(vllm) as upstream:
        profile, release = resolve_litellm_profile(request.param, None)
        deployment = Deployment(
            "fake-model", "hosted_vllm", "fake-model", api_base=f"{upstream.url}/v1"
        )
        config = LitellmConfig(profile, release, (deployment,), master_key=KEY)
        with live(create_litellm_app(config), server_header=profile.knobs.server_header) as server:
            yield server


@pytest.fixture
def client(proxy: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=KEY, max_retries=0, timeout=10)


@pytest.mark.live
def test_seed_stream_without_include_usage_has_no_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="fake-model", messages=MESSAGES, stream=True, max_tokens=4
    )
    received = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in received if c.choices)
    assert text == "Lorem ipsum dolor sit"
    assert received[-1].usage is None
    assert all(c.usage is None for c in received)


@pytest.mark.live
def test_stream_with_include_usage_reports_it(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="fake-model",
        messages=MESSAGES,
        stream=True,
        max_tokens=4,
        stream_options={"include_usage": True},
    )
    last = list(stream)[-1]
    assert last.usage is not None and last.usage.completion_tokens == 4


@pytest.mark.live
def test_chat_and_tools(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(model="fake-model", messages=MESSAGES, max_tokens=2)
    assert result.choices[0].message.content == "Lorem ipsum"
    tools = client.chat.completions.create(
        model="fake-model",
        messages=MESSAGES,
        tools=WEATHER_TOOLS,  # type: ignore[arg-type]
        tool_choice="auto",
    )
    call = tools.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.arguments == '{"city": "value"}'  # type: ignore[union-attr]


@pytest.mark.live
def test_errors_map_to_openai_exceptions(client: openai.OpenAI, proxy: LiveServer) -> None:
    with pytest.raises(openai.BadRequestError, match="Invalid model name"):
        client.chat.completions.create(model="nope", messages=MESSAGES)  # type: ignore[arg-type]
    anonymous = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="sk-other", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="No connected db"):
        anonymous.chat.completions.create(model="fake-model", messages=MESSAGES)  # type: ignore[arg-type]

"""/v1/responses input items worded by the release's own validator, rebuilt from schema data."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseInputItemParam,
    ResponseReasoningItem,
)
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from fakes.profiles import resolve_vllm_profile, with_knobs
from fakes.vllm import VllmConfig, create_vllm_app
from fakes.vllm._input_schema import _Decoder
from fakes.vllm._responses_input import input_errors
from reference.vllm_harness.input_schemas import Encoder

HISTORY = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": []},
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
]


class _Request(BaseModel):
    """A request whose items share openai's nested unions, as vLLM's does."""

    input: str | list[ResponseInputItemParam | ResponseReasoningItem | ResponseFunctionToolCall]
    more: list[ResponseInputItemParam] = []


def _errors(validate: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        validate(body)
    return caught.value.errors(include_url=False)


def test_a_schema_written_as_data_and_rebuilt_words_every_error_alike() -> None:
    adapter = TypeAdapter(_Request)  # as FastAPI validates a body: through a TypeAdapter
    data = json.loads(json.dumps(Encoder().encode(adapter.core_schema)))
    rebuilt = SchemaValidator(_Decoder().decode(data))
    body = {"input": HISTORY, "more": HISTORY}
    original = _errors(adapter.validate_python, body)
    assert len(original) > 100
    assert "union[..." in str(original)  # a shared nested union, labelled by build order
    assert str(_errors(rebuilt.validate_python, body)) == str(original)  # labels included


async def test_without_data_the_mirrored_members_word_the_errors() -> None:
    """responses_input_schema "": the first union members, mirrored (_responses_input)."""
    profile, release = resolve_vllm_profile("0.34.0", None)
    config = VllmConfig(
        profile=with_knobs(profile, {"responses_input_schema": ""}), version=release
    )
    transport = httpx.ASGITransport(app=create_vllm_app(config))
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
        response = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": HISTORY}
        )
    assert response.status_code == 400
    mirrored = len(input_errors(HISTORY))
    assert response.json()["error"]["message"].startswith(f"{mirrored} validation errors:")

"""/v1/responses input items worded by the release's own validator, rebuilt from schema data."""

from __future__ import annotations

import gzip
import json
from importlib import resources
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

from fakes.profiles import builtin, resolve_vllm_profile, with_knobs
from fakes.vllm import VllmConfig, create_vllm_app
from fakes.vllm._input_schema import _Decoder, release_input_errors
from fakes.vllm._responses_input import input_errors
from reference.vllm_harness.input_schemas import Encoder, digest, serialized
from tests.fakes.vllm.test_responses_input import ACCEPTED

FOLDER = resources.files("fakes.vllm").joinpath("input_schemas")
HISTORY = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": []},
    {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
]


def _files() -> dict[str, bytes]:
    return {
        entry.name.removesuffix(".json.gz"): entry.read_bytes()
        for entry in FOLDER.iterdir()
        if entry.name.endswith(".json.gz")
    }


def _named_by_profiles() -> dict[str, str]:
    """Each built-in vLLM profile's schema name, by profile."""
    registry = builtin("vllm")
    return {
        name: registry.get(name).knobs.responses_input_schema
        for name in registry.names()
        if registry.get(name).knobs.responses_input_schema
    }


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


def test_the_committed_data_is_the_generators_own_bytes() -> None:
    files = _files()
    assert files
    for name, raw in files.items():
        document = json.loads(gzip.decompress(raw))
        assert digest(document) == name
        assert serialized(document) == raw


def _imports(value: Any) -> set[str]:
    if isinstance(value, list):
        return set().union(*map(_imports, value)) if value else set()
    if not isinstance(value, dict):
        return set()
    found = {value["$import"]} if "$import" in value else set()
    return found.union(*map(_imports, value.values()))


def test_the_data_imports_nothing_but_pydantic_and_the_standard_library() -> None:
    imported = set().union(
        *(_imports(json.loads(gzip.decompress(raw))) for raw in _files().values())
    )
    roots = {where.split(":")[0].split(".")[0] for where in imported}
    assert "pydantic" in roots
    assert roots <= {"pydantic", "typing", "collections", "builtins", "datetime", "decimal", "re"}


def test_every_profile_names_committed_data_and_every_file_is_named() -> None:
    named = _named_by_profiles()
    assert "vllm-0.10.0" in named and "vllm-0.34" in named
    assert set(named.values()) == set(_files())
    index = json.loads(FOLDER.joinpath("index.json").read_text())
    assert {entry["schema"] for entry in index.values()} == set(_files())
    for release, entry in index.items():  # each written release: its profile's data
        assert builtin("vllm").for_release(release).knobs.responses_input_schema == entry["schema"]


@pytest.mark.parametrize("profile", ["vllm-0.10.0", "vllm-0.18", "vllm-0.34"])
def test_the_release_validator_takes_what_its_union_takes(profile: str) -> None:
    name = builtin("vllm").get(profile).knobs.responses_input_schema
    body = {"model": "fake-model", "input": [{"role": "user", "content": "hi"}]}
    assert release_input_errors(name, body) == []
    refused = release_input_errors(name, {"model": "fake-model", "input": HISTORY})
    assert refused is not None
    assert refused[0]["loc"] == ("body", "input", "str")
    assert {error["loc"][3] for error in refused[1:]} == {1, 2}  # the assistant and tool items


def test_the_newest_release_takes_every_item_the_mirror_takes() -> None:
    name = builtin("vllm").get("vllm-0.34").knobs.responses_input_schema
    assert release_input_errors(name, {"model": "fake-model", "input": ACCEPTED}) == []


@pytest.mark.parametrize(("release", "count"), [("0.10.0", 138), ("0.18.0", 343), ("0.34.0", 463)])
async def test_a_chat_style_history_lists_as_many_errors_as_the_release(
    vllm: Any, release: str, count: int
) -> None:
    history = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    async with vllm(release) as client:
        response = await client.post(
            "/v1/responses", json={"model": "fake-model", "input": history}
        )
    assert response.status_code == 400
    body = response.json()
    message = body["message"] if "message" in body else body["error"]["message"]
    assert message.startswith(f"{count} validation errors:")


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

"""1.80's /v1/responses bridge: the chat answer converted back, the stream's lifecycle events
read from the proxy's own chat stream (recordings/litellm/litellm-1.80.17+*.json hold the
real proxy's)."""

from __future__ import annotations

from typing import Any

import orjson

from fakes.litellm import resolve_litellm_profile
from fakes.litellm._bridge_stream import Built, delta_event, tool_choice
from fakes.litellm._responses import chat_request
from tests.fakes.litellm.conftest import AUTH

OPENING = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
]
CLOSING = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def _events(text: str) -> list[Any]:
    return [orjson.loads(e) for e in text.split("data: ")[1:] if e.startswith("{")]


async def test_a_stream_opens_and_closes_with_the_lifecycle_events(stack: Any) -> None:
    async with stack("1.80.17", "0.9.2") as s:
        body = {"model": "fake-model", "input": "hi", "max_output_tokens": 3, "stream": True}
        response = await s.client.post("/v1/responses", json=body, headers=AUTH)
        assert response.status_code == 200
        events = _events(response.text)
        deltas = ["response.output_text.delta"] * 3
        assert [e["type"] for e in events] == OPENING + deltas + CLOSING
        assert response.text.endswith("data: [DONE]\n\n")
        created = events[0]["response"]
        assert created["model"] == "fake-model" and created["status"] == "in_progress"
        assert created["tools"] == [] and created["top_p"] == 1.0 and "temperature" not in created
        text = "".join(e["delta"] for e in events[4:7])
        assert text == "Lorem ipsum dolor" and events[7]["text"] == text
        completed = events[-1]["response"]
        assert completed["model"] == "hosted_vllm/fake-model"
        assert completed["output"][0]["content"][0]["text"] == text
        assert completed["status"] == "completed" and completed["text"] == {}
        assert completed["usage"]["output_tokens"] == 3
        assert "input_tokens_details" not in completed["usage"]  # nulls are dropped
        sent = orjson.loads(s.upstream_requests()[0].body)
        assert sent["stream_options"] == {"include_usage": True}


async def test_a_mid_stream_error_passes_on_without_the_model_group(stack: Any) -> None:
    async with stack("1.80.17", "0.9.2") as s:
        s.fault(kind="error_frame", after_chunks=2)
        body = {"model": "fake-model", "input": "hi", "stream": True}
        response = await s.client.post("/v1/responses", json=body, headers=AUTH)
        last = response.text.rstrip("\n").rsplit("\n\n", 1)[-1]
        assert last.startswith('data: {"error": {"message": "litellm.ServiceUnavailableError')
        assert "Received Model Group" not in last and "[DONE]" not in response.text
        assert [e["type"] for e in _events(response.text)[:4]] == OPENING


async def test_a_body_maps_the_finish_reason_to_statuses(stack: Any) -> None:
    async with stack("1.80.17", "0.9.2") as s:
        body = {"model": "fake-model", "input": "hi", "max_output_tokens": 3}
        data = (await s.client.post("/v1/responses", json=body, headers=AUTH)).json()
        assert data["status"] == "incomplete" and data["output"][0]["status"] == "incomplete"
        assert data["text"] == {} and data["usage"]["cost"] is None
    async with stack("1.74.15", "0.9.2") as s:  # 1.74: the finish reason itself
        data = (await s.client.post("/v1/responses", json=body, headers=AUTH)).json()
        assert data["status"] == "completed" and data["output"][0]["status"] == "length"
        assert data["text"] == {"format": None, "verbosity": None} and "cost" not in data["usage"]


def test_the_built_answer_takes_the_last_finish_and_a_later_model() -> None:
    chunks = [
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        {"id": "c1", "model": "p/m", "choices": [{"finish_reason": "length", "delta": {}}]},
        {"id": "c1", "model": "p/m", "choices": [{"index": 0, "delta": {}}], "usage": {"n": 1}},
    ]
    built = Built(chunks)
    assert (built.model, built.finish, built.content, built.usage) == ("p/m", None, "Hi", {"n": 1})
    assert Built(chunks[:3]).finish == "length"


def test_reasoning_comes_before_text_and_names_its_hash() -> None:
    chunk = {"id": "c", "choices": [{"delta": {"reasoning_content": "so", "content": "x"}}]}
    event = delta_event(chunk)
    assert event is not None and event["type"] == "response.reasoning_summary_text.delta"
    assert event["item_id"] == f"rs_{hash('so')}"
    assert delta_event({"id": "c", "choices": []}) is None


def test_tool_choice_as_the_bridge_normalizes_it() -> None:
    named = {"type": "function", "function": {"name": "f"}}
    assert tool_choice(named) == named
    assert tool_choice({"type": "tool"}) == "required"
    assert tool_choice({"type": "auto"}) == "auto"
    assert tool_choice(None) == "auto"


def test_the_bridge_knobs_by_release() -> None:
    old = resolve_litellm_profile("1.74.15", None)[0].knobs
    new = resolve_litellm_profile("1.80.17", None)[0].knobs
    for knob in (
        "bridge_mapped_status",
        "bridge_reasoning_hash_id",
        "bridge_usage_cost",
        "bridge_usage_details",
        "bridge_stream_events",
    ):
        assert (getattr(old, knob), getattr(new, knob)) == (False, True), knob
    assert (old.bridge_text_config, new.bridge_text_config) == (True, False)
    assert "namespace" in new.bridge_function_call_keys
    assert "namespace" not in old.bridge_function_call_keys
    assert old.bridge_stream_headers is None
    assert new.bridge_stream_headers is not None
    assert "x-litellm-model-id" in new.bridge_stream_headers


def test_a_message_with_content_null_is_left_out_of_the_chat_call() -> None:
    body = {"input": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]}
    kept = chat_request(body, "m")["messages"]
    dropped = chat_request(body, "m", drop_none=True)["messages"]
    assert [m["role"] for m in kept] == ["user", "assistant"]
    assert dropped == [{"role": "user", "content": "hi"}]

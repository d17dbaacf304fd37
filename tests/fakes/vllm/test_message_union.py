"""0.4-0.6.4 validate each chat message against openai-python's message TypedDicts and vLLM's
custom message (knob chat_message_union): a message no member takes is a 400 listing every
member's errors; the recorded cassettes hold the real texts (tests/reference)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from fakes.profiles import ChatMessageUnion
from fakes.vllm._message_union import UNIONS, Dict, errors, label, message_errors
from tests.conftest import CHAT

RELEASES = ("0.4.3", "0.5.3", "0.6.2", "0.6.3", "0.6.4")
ROLES = ("system", "user", "assistant", "tool", "function")  # openai's members, in order


def _listed(answer: Any) -> list[dict[str, Any]]:
    body = answer.json()
    assert (answer.status_code, body["type"], body["code"]) == (400, "BadRequestError", 400)
    listed: list[dict[str, Any]] = ast.literal_eval(body["message"])
    return listed


@pytest.mark.parametrize("version", RELEASES)
@pytest.mark.parametrize("position", [0, 2])
async def test_a_key_no_member_has_is_a_400_naming_it_once_per_member(
    vllm: Any, version: str, position: int
) -> None:
    turns: list[dict[str, Any]] = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Again"},
    ]
    turns[position] = {**turns[position], "cache_control": {"type": "ephemeral"}}
    async with vllm(version) as client:
        answer = await client.post("/v1/chat/completions", json={**CHAT, "messages": turns})
    listed = _listed(answer)
    assert {e["loc"][:4] for e in listed} == {("body", "messages", position, "typed-dict")}
    extra = [e for e in listed if e["type"] == "extra_forbidden"]
    assert [e["loc"][4:] for e in extra] == [("cache_control",)] * 6  # five openai + custom
    assert all(e["input"] == {"type": "ephemeral"} for e in extra)
    # every openai member but the user's refuses the role; the custom member takes any
    roles = [e["ctx"]["expected"] for e in listed if e["type"] == "literal_error"]
    assert roles == [repr(r) for r in ROLES if r != "user"]


@pytest.mark.parametrize("version", RELEASES)
async def test_messages_a_member_takes_are_answered(vllm: Any, version: str) -> None:
    turns = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Any role is the custom member's."},
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": None, "name": "bot"},
        {"role": "user", "content": "Again", "name": "me"},
    ]
    async with vllm(version) as client:
        answer = await client.post("/v1/chat/completions", json={**CHAT, "messages": turns})
    assert answer.status_code == 200, answer.text


async def test_from_0_6_5_a_key_outside_the_types_passes(vllm: Any) -> None:
    turns = [{"role": "user", "content": "Hi", "cache_control": {"type": "ephemeral"}}]
    async with vllm("0.9.2") as client:
        answer = await client.post("/v1/chat/completions", json={**CHAT, "messages": turns})
    assert answer.status_code == 200


async def test_message_errors_come_before_the_other_fields(vllm: Any) -> None:
    """messages is the request model's first field, model its second."""
    body = {"messages": [{"role": "user", "content": "Hi", "x": 1}]}
    async with vllm("0.6.4") as client:
        answer = await client.post("/v1/chat/completions", json=body)
    locs = [e["loc"] for e in _listed(answer)]
    assert locs[-1] == ("body", "model")
    assert all(loc[1] == "messages" for loc in locs[:-1])


@pytest.mark.parametrize("union", list(UNIONS))
def test_a_member_lists_its_missing_fields_in_declaration_order(union: ChatMessageUnion) -> None:
    members = UNIONS[union].members
    assert len(members) == 6
    listed = errors(UNIONS[union], {})
    missing = [e["loc"][1] for e in listed if e["type"] == "missing"]
    required = [f.name for m in members if isinstance(m, Dict) for f in m.fields if f.required]
    assert missing == required
    assert missing[:2] == ["content", "role"]  # system's
    assert missing[-1] == "role"  # the custom member requires only a role (any string)


@pytest.mark.parametrize("union", list(UNIONS))
def test_lists_are_checked_item_by_item_iterables_are_not(union: ChatMessageUnion) -> None:
    # the user member's content is an Iterable: pydantic checks its items only when read
    assert message_errors(union, [{"role": "user", "content": [5]}]) == []
    # the custom member's content is a List: each item must be one of its parts
    text = {"type": "text", "text": "Hi"}
    listed = message_errors(union, [{"role": "developer", "content": [text, 5]}])
    assert listed
    custom = [e for e in listed if len(e["loc"]) > 6 and e["loc"][5].startswith("list[")]
    assert custom and {e["loc"][6] for e in custom} == {1}  # openai's text part takes item 0


@pytest.mark.parametrize("union", list(UNIONS))
def test_a_message_that_is_not_an_object_fails_every_member(union: ChatMessageUnion) -> None:
    listed = message_errors(union, ["Hi"])
    assert [e["type"] for e in listed] == ["dict_type"] * 6
    assert {e["loc"] for e in listed} == {("body", "messages", 0, "typed-dict")}


def test_labels_are_pydantic_before_2_10s() -> None:
    user = UNIONS[ChatMessageUnion.VLLM_0_6_4_OPENAI_1_54].members[1]
    assert isinstance(user, Dict)
    content = user.fields[0].kind
    assert label(content) == "union[str,generator[union[typed-dict,typed-dict,typed-dict]]]"


def test_no_union_checks_nothing() -> None:
    assert message_errors(ChatMessageUnion.NONE, ["Hi", {"x": 1}]) == []

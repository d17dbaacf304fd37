"""Chat answers rendered once per shape by the reference writers (fakes/vllm/wire/chat.py),
with sentinels in the slots, and kept as byte templates."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from fakes.http import sse
from fakes.vllm._plan import Limits, Plan, plan_reply
from fakes.vllm._state import VllmState
from fakes.vllm.fast._accept import Shape
from fakes.vllm.fast._template import (
    CREATED_SENTINEL,
    ID_SENTINEL,
    PROMPT_SENTINEL,
    Template,
)
from fakes.vllm.wire import chat as chat_wire

_UNLIMITED = 1 << 40  # a budget no plain answer reaches: the plan is never cut for length


@dataclass(frozen=True)
class ChatAnswer:
    """One shape's answer: the body (or each stream event) as a template, and what a
    request needs to know to use it."""

    body: Template | None  # non-streaming
    events: tuple[Template, ...]  # streaming, [DONE] excluded
    needed: int  # tokens the answer generates before any length cut
    completion_tokens: int
    finish_reason: str


def _plan(state: VllmState, shape: Shape) -> Plan:
    config = state.config
    parser_on = config.reasoning_parser is not None and bool(state.knobs.reasoning_keys)
    budget = shape.max_tokens if shape.max_tokens is not None else _UNLIMITED
    return plan_reply(
        None,
        state.player,
        {},  # a plain request: the default reply, which does not read the request (lorem)
        Limits(budget, config.max_model_len, PROMPT_SENTINEL, []),
        tool_choice=None,
        tools_allowed=state.knobs.tools,
        reasoning_parser=parser_on,
        new_tool_id=lambda: "",
    )


def render(state: VllmState, shape: Shape, model: str, fingerprint: str | None) -> ChatAnswer:
    """Render ``shape``'s answer with the reference writers, sentinels in the slots."""
    knobs = state.knobs
    plan = _plan(state, shape)
    untruncated = _plan(state, shape._replace(max_tokens=None))
    needed = len(untruncated.reasoning) + len(untruncated.content)
    if not shape.stream:
        body = chat_wire.completion_body(
            knobs,
            id=ID_SENTINEL,
            created=CREATED_SENTINEL,
            model=model,
            plans=[plan],
            fingerprint=fingerprint,
        )
        return ChatAnswer(
            Template(orjson.dumps(body)),
            (),
            needed,
            plan.completion_tokens,
            plan.finish_reason,
        )
    options = dict(shape.stream_options) if shape.stream_options is not None else None
    policy = chat_wire.StreamUsagePolicy.decide(knobs, options)
    writer = chat_wire.ChunkWriter(
        knobs,
        id=ID_SENTINEL,
        created=CREATED_SENTINEL,
        model=model,
        policy=policy,
        prompt_tokens=PROMPT_SENTINEL,
        fingerprint=fingerprint,
    )
    written = chat_wire.chunks(writer, knobs, [plan], policy, tool_parser=state.config.auto_tools)
    events = tuple(Template(sse.data(chunk)) for chunk in written)
    return ChatAnswer(None, events, needed, plan.completion_tokens, plan.finish_reason)

"""Chat answers rendered once per shape by the reference writers (fakes/vllm/wire/chat.py),
with sentinels in the slots, and kept as byte templates."""

from __future__ import annotations

import orjson

from fakes.http import sse
from fakes.model.script import Reply
from fakes.vllm._plan import Limits, Plan, plan_reply
from fakes.vllm._state import VllmState
from fakes.vllm.fast._accept import Shape
from fakes.vllm.fast._template import (
    CREATED_SENTINEL,
    ID_SENTINEL,
    PROMPT_SENTINEL,
    Answer,
    Template,
)
from fakes.vllm.wire import chat as chat_wire

UNLIMITED = 1 << 40  # a budget no plain answer reaches: the plan is never cut for length


def _plan(state: VllmState, shape: Shape, reply: Reply | None) -> Plan:
    config = state.config
    parser_on = config.reasoning_parser is not None and bool(state.knobs.reasoning_keys)
    budget = shape.max_tokens if shape.max_tokens is not None else UNLIMITED
    return plan_reply(
        reply,
        state.player,
        {},  # a plain request: no tools, and a default reply that does not read it (lorem)
        Limits(budget, config.max_model_len, PROMPT_SENTINEL, []),
        tool_choice=None,
        tools_allowed=state.knobs.tools,
        reasoning_parser=parser_on,
        new_tool_id=lambda: "",
    )


def render(
    state: VllmState, shape: Shape, model: str, fingerprint: str | None, reply: Reply | None
) -> Answer:
    """Render ``shape``'s answer with the reference writers, sentinels in the slots."""
    knobs = state.knobs
    plan = _plan(state, shape, reply)
    untruncated = _plan(state, shape._replace(max_tokens=None), reply)
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
        return Answer(
            Template(orjson.dumps(body)), (), needed, plan.completion_tokens, plan.finish_reason
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
    return Answer(None, events, needed, plan.completion_tokens, plan.finish_reason)

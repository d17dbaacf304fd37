"""/v1/completions answers rendered once per shape by the reference writers
(fakes/vllm/wire/completions.py), sentinels in the slots."""

from __future__ import annotations

import orjson

from fakes.http import sse
from fakes.model.script import Reply
from fakes.vllm._plan import Limits, plan_reply
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
from fakes.vllm.wire import completions as completions_wire

DEFAULT_MAX_TOKENS = 16  # CompletionRequest's default


def render(
    state: VllmState, shape: Shape, model: str, fingerprint: str | None, reply: Reply | None
) -> Answer:
    knobs, config = state.knobs, state.config
    max_tokens = shape.max_tokens if shape.max_tokens is not None else DEFAULT_MAX_TOKENS
    plan = plan_reply(
        reply,
        state.player,
        {},  # the default reply (lorem) does not read the prompt
        Limits(max_tokens, config.max_model_len, PROMPT_SENTINEL, []),
        tool_choice=None,
        tools_allowed=False,
        reasoning_parser=False,
        new_tool_id=lambda: "",
    )
    needed = 0  # max_tokens always has a value here: the prompt never cuts the answer
    if not shape.stream:
        body = completions_wire.completion_body(
            knobs,
            id=ID_SENTINEL,
            created=CREATED_SENTINEL,
            model=model,
            plans=[plan],
            usage=chat_wire.usage(knobs, PROMPT_SENTINEL, plan.completion_tokens),
            fingerprint=fingerprint,
        )
        return Answer(
            Template(orjson.dumps(body)), (), needed, plan.completion_tokens, plan.finish_reason
        )
    options = dict(shape.stream_options) if shape.stream_options is not None else None
    policy = chat_wire.StreamUsagePolicy.decide(knobs, options)
    written = completions_wire.chunks(
        knobs,
        id=ID_SENTINEL,
        created=CREATED_SENTINEL,
        model=model,
        plan=plan,
        prompt=PROMPT_SENTINEL,
        policy=policy,
        fingerprint=fingerprint,
    )
    events = tuple(Template(sse.data(chunk)) for chunk in written)
    return Answer(None, events, needed, plan.completion_tokens, plan.finish_reason)

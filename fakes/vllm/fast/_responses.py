"""/v1/responses on the fast path: which bodies are plain, and their answers rendered once
per shape by the reference writers (fakes/vllm/wire/responses.py, responses_stream.py).

A plain body has only fields the reference route reads without a side effect: an ``input``
that is a string or a list of simple messages (``role`` one of ResponsesRequest's four,
``content`` a string, ``type`` "message" at most: an EasyInputMessageParam, so
``_responses_input`` has no error to report), ``instructions``, ``max_output_tokens``,
``stream``, ``temperature``, ``top_p`` and ``model``. Everything else (tools, tool_choice,
reasoning, previous_response_id, store, background, penalties echoed in the body...) takes
the reference path, and so do the streams a release breaks off (0.10.0-0.11.0).

A response carries several per-request values besides its id and ``created_at``: the body's
item ids, the streamed items' ids (hex or uuid4, by release) and, when ``max_output_tokens``
is absent, the context left after the prompt. They are the template's more-slots, drawn per
request from the state's sources in the order the reference route draws them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from fakes.model import tokens
from fakes.model.script import Reply
from fakes.profiles import Knobs, ResponsesEventResponse, ResponsesRoute
from fakes.vllm._plan import Limits, Plan, plan_reply
from fakes.vllm._requests import ResponsesRequest
from fakes.vllm._state import VllmState
from fakes.vllm.fast._accept import Shape, _common, _number
from fakes.vllm.fast._template import (
    CREATED_SENTINEL,
    ID_SENTINEL,
    MORE_NUMBERS,
    MORE_STRINGS,
    PROMPT_SENTINEL,
    Answer,
    Template,
    has_slot,
)
from fakes.vllm.wire import responses as responses_wire
from fakes.vllm.wire import responses_stream

RESPONSES_FIELDS = frozenset(
    {"model", "input", "instructions", "max_output_tokens", "stream", "temperature", "top_p"}
)
_ROLES = frozenset({"user", "assistant", "system", "developer"})  # EasyInputMessageParam's
_ITEM_FIELDS = frozenset({"role", "content", "type"})
UNLIMITED = 1 << 40  # a budget no plain answer reaches: the plan is never cut for length

# the more-slots, by what goes in them
_BODY_MESSAGE, _BODY_REASONING, _LAST_MESSAGE, _LAST_REASONING, _REASONING_ITEM, _MESSAGE_ITEM = (
    MORE_STRINGS[:6]
)
_DEFAULT_MAX_OUTPUT = MORE_NUMBERS[0]


def _plain_item(item: Any) -> bool:
    if type(item) is not dict or not _ITEM_FIELDS.issuperset(item):
        return False
    role = item.get("role")
    return (
        type(role) is str
        and role in _ROLES
        and type(item.get("content")) is str
        and item.get("type", "message") == "message"
    )


def plain_responses(knobs: Knobs, body: Any) -> Shape | None:
    """The request's shape if the fast path can answer it, else None. ``extra`` holds what
    the body echoes: instructions, temperature and top_p (as ResponsesRequest's floats)."""
    if knobs.responses is ResponsesRoute.ABSENT:
        return None  # the router's 404
    if not isinstance(body, dict) or not RESPONSES_FIELDS.issuperset(body):
        return None
    given = body.get("input")
    if type(given) is list:
        if not all(_plain_item(item) for item in given):
            return None
    elif type(given) is not str:
        return None
    instructions = body.get("instructions")  # echoed in the body
    if instructions is not None and (type(instructions) is not str or has_slot(instructions)):
        return None
    max_output = body.get("max_output_tokens")
    if max_output is not None and (type(max_output) is not int or max_output < 1):
        return None
    temperature, top_p = body.get("temperature"), body.get("top_p")
    if not (_number(temperature) and _number(top_p)):
        return None
    shape = _common(knobs, body)  # model, stream and the strict-fields check, as for chat
    if shape is None:
        return None
    if shape.stream and (
        knobs.responses is not ResponsesRoute.STREAMING
        or knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE
    ):
        return None  # a plain 500, or a stream the release breaks off
    floats = tuple(None if v is None else float(v) for v in (temperature, top_p))
    return shape._replace(max_tokens=max_output, extra=(instructions, *floats))


def messages(body: dict[str, Any]) -> list[Any]:
    """The chat messages the reference route counts and matches scripts on."""
    given = body["input"]
    items = given if isinstance(given, list) else [{"role": "user", "content": given}]
    instructions = body.get("instructions")
    return ([{"role": "system", "content": instructions}] if instructions else []) + items


def prompt_tokens(body: dict[str, Any]) -> int:
    return tokens.prompt_tokens(messages(body))


def scripted(body: dict[str, Any], model: str) -> dict[str, Any]:
    """What the reference route's script rules match on (no "stream", no "tools")."""
    return {"messages": messages(body), "model": model}


def _plan(state: VllmState, budget: int, reply: Reply | None) -> Plan:
    config = state.config
    return plan_reply(
        reply,
        state.player,
        {},  # a plain request: no tools, and a default reply that does not read it (lorem)
        Limits(budget, config.max_model_len, PROMPT_SENTINEL, []),
        tool_choice=None,
        tools_allowed=False,
        reasoning_parser=config.reasoning_parser is not None,
        new_tool_id=lambda: "",
    )


def render(
    state: VllmState, shape: Shape, model: str, fingerprint: str | None, reply: Reply | None
) -> Answer:
    """Render ``shape``'s answer with the reference writers, sentinels in the slots."""
    knobs, config = state.knobs, state.config
    instructions, temperature, top_p = shape.extra
    typed = ResponsesRequest.model_validate(
        {"input": "", "instructions": instructions, "temperature": temperature, "top_p": top_p}
    )
    plan = _plan(state, UNLIMITED if shape.max_tokens is None else shape.max_tokens, reply)
    untruncated = _plan(state, UNLIMITED, reply)
    needed = len(untruncated.reasoning) + len(untruncated.content)
    max_tokens = _DEFAULT_MAX_OUTPUT if shape.max_tokens is None else shape.max_tokens

    def response_object(shown: str, hexes: tuple[str, str], *, reasoning: bool = True) -> Any:
        return responses_wire.response_object(
            knobs,
            ID_SENTINEL,
            CREATED_SENTINEL,
            model,
            typed,
            plan,
            shown,
            max_tokens,
            *hexes,
            reasoning=reasoning,
        )

    final = response_object("".join(plan.content), (_BODY_MESSAGE, _BODY_REASONING))
    if not shape.stream:
        return Answer(
            Template(orjson.dumps(final)),
            (),
            needed,
            plan.completion_tokens,
            plan.finish_reason,
            hexes=2,  # the body's message and reasoning item ids
            numbers=_numbers,
        )
    steps, reasoning, length = responses_stream.engine_steps(knobs, plan, config.auto_tools)
    if knobs.responses_completed_last_step:
        shown = steps[-1] if steps else ""
        final = response_object(shown, (_LAST_MESSAGE, _LAST_REASONING), reasoning=False)
    events = responses_stream.stream_events(
        knobs,
        final,
        steps,
        length_finish=length,
        reasoning_id=_REASONING_ITEM,
        message_id=_MESSAGE_ITEM,
        reasoning=reasoning,
    )
    return Answer(
        None,
        tuple(Template(event) for event in events),
        needed,
        plan.completion_tokens,
        plan.finish_reason,
        draws=_draws(knobs, after_reasoning=bool(reasoning)),
        numbers=_numbers,
        done=False,  # a responses stream ends with response.completed, no [DONE]
    )


def _draws(knobs: Knobs, *, after_reasoning: bool) -> Callable[[VllmState], tuple[bytes, ...]]:
    """A stream's string more-slots, drawn as fakes/vllm/_routes.py draws them after the
    response id: the body's two item hexes, the last-step body's two (0.11.1-0.13), the
    streamed reasoning and message item ids."""
    last_step = knobs.responses_completed_last_step

    def streamed(state: VllmState) -> tuple[bytes, ...]:
        new_hex = state.new_hex
        body = (new_hex().encode(), new_hex().encode())
        last = (new_hex().encode(), new_hex().encode()) if last_step else (b"", b"")
        new_uuid = state.new_uuid
        reasoning = responses_stream.reasoning_item_id(knobs, new_hex, new_uuid)
        message = responses_stream.message_item_id(
            knobs, new_hex, new_uuid, after_reasoning=after_reasoning
        )
        return (*body, *last, reasoning.encode(), message.encode())

    return streamed


def _numbers(state: VllmState, prompt: int) -> tuple[bytes, ...]:
    """The number more-slots: the default max_output_tokens, the context the prompt leaves."""
    return (b"%d" % max(state.config.max_model_len - prompt, 1),)

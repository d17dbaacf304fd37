"""Chat completion bodies and stream chunks, shaped by the profile's knobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fakes.http.shapes import shaped
from fakes.model.tokens import tokenize
from fakes.profiles import (
    ContinuousUsage,
    HermesStream,
    Knobs,
    NamedToolStream,
    RequiredStream,
    StreamUsage,
)
from fakes.types import JSONObject
from fakes.vllm._plan import Plan, ToolCall, hermes_block
from fakes.vllm.tool_stream.hermes_pre_0_20 import END, START, parsed_steps


@dataclass(frozen=True)
class StreamUsagePolicy:
    """What usage a stream carries, decided once from the request and the release."""

    final_chunk: bool = False  # a trailing {"choices": [], "usage": ...} chunk
    in_finish_chunk: bool = False  # 0.4: usage rides on the finish chunk
    continuous: ContinuousUsage | None = None
    null_on_chunks: bool = False

    @classmethod
    def decide(cls, knobs: Knobs, stream_options: dict[str, Any] | None) -> StreamUsagePolicy:
        if knobs.stream_usage is StreamUsage.ALWAYS_IN_FINISH_CHUNK:
            return cls(in_finish_chunk=True)
        if stream_options is None:
            return cls()
        include = stream_options.get("include_usage")
        if include is None:
            include = knobs.stream_options_default_usage
        if not include:
            return cls()
        continuous = stream_options.get("continuous_usage_stats")
        if continuous is None:
            continuous = knobs.continuous_usage_default
        if continuous and knobs.continuous_usage is not ContinuousUsage.UNSUPPORTED:
            return cls(final_chunk=True, continuous=knobs.continuous_usage)
        return cls(final_chunk=True, null_on_chunks=knobs.null_usage_on_chunks)


def without_nulls(value: Any) -> Any:
    """``value`` with every null member of every object left out, as pydantic's exclude_none
    leaves out None fields at every depth (a null inside a list stays)."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def usage(
    knobs: Knobs,
    prompt: int,
    completion: int,
    *,
    stream: bool = False,
    continuous: bool = False,
    reasoning: int | None = None,
) -> JSONObject:
    values: JSONObject = {
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens": completion,
    }
    if reasoning is not None:  # counted by the reasoning parser (0.28)
        values["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    if continuous:  # set explicitly on chunks with choices: exclude_unset keeps the nulls
        values.update({key: None for key in knobs.continuous_usage_null_keys})
        return values
    if stream:  # usage chunks are dumped with exclude_none: no null details
        return values
    return shaped(knobs.usage_keys, values, {})


def reasoning_tokens(knobs: Knobs, plans: list[Plan]) -> int | None:
    """What the reasoning parser counts into completion_tokens_details (0.28 serving.py:
    _include_reasoning_tokens_details = bool(reasoning_parser)); None without a parser."""
    if not knobs.reasoning_tokens_details or not any(p.parsed_reasoning for p in plans):
        return None
    return sum(len(p.reasoning) for p in plans)


def _tool_call_object(call: ToolCall) -> JSONObject:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def _reasoning_values(knobs: Knobs, text: str | None) -> dict[str, Any]:
    return {key: text for key in knobs.reasoning_keys}


def message(knobs: Knobs, plan: Plan) -> JSONObject:
    text = "".join(plan.content)
    calls = [_tool_call_object(c) for c in plan.tool_calls]
    if calls and not text:
        # the guided answers (named, "required") build ChatMessage(content="") themselves
        # (0.8.4 serving_chat.py:985-1001, as 0.9.2 :1051 and 0.12.0 :1439-1461; recorded 0.8.4;
        # 0.34.0 chat_completion/message_assembly.py:60-61 content or "", recorded 0.34.0)
        content: str | None = "" if plan.named_tool or plan.required else None
    else:
        content = text
    values: dict[str, Any] = {"role": "assistant", "content": content}
    reasoning = "".join(plan.reasoning) or None
    values.update(_reasoning_values(knobs, reasoning))
    keys = knobs.message_keys
    if calls or knobs.empty_tool_calls:
        values["tool_calls"] = calls
    else:
        keys = tuple(k for k in keys if k != "tool_calls")
    return shaped(keys, values, {})


def _body_finish(knobs: Knobs, plan: Plan) -> str:
    """0.11.1 serving_chat.py:1508-1511: a "required" answer that stopped on its own says
    "tool_calls" (is_finish_reason_tool_calls)."""
    if knobs.required_finish_tool_calls and plan.required_list and plan.finish_reason == "stop":
        return "tool_calls"
    return plan.finish_reason


def completion_body(
    knobs: Knobs,
    *,
    id: str,
    created: int,
    model: str,
    plans: list[Plan],
    fingerprint: str | None = None,
) -> JSONObject:
    choices = [
        shaped(
            knobs.chat_choice_keys,
            {
                "index": i,
                "message": message(knobs, plan),
                "finish_reason": _body_finish(knobs, plan),
                "stop_reason": plan.stop_reason,
            },
            {},
        )
        for i, plan in enumerate(plans)
    ]
    completion = sum(p.completion_tokens for p in plans)
    return shaped(
        knobs.chat_response_keys,
        {
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage(
                knobs, plans[0].prompt_tokens, completion, reasoning=reasoning_tokens(knobs, plans)
            ),
            "system_fingerprint": fingerprint,
        },
        {},
    )


# DeltaMessage field order: exclude_unset keeps it whatever order the server set them in.
DELTA_ORDER = ("role", "content", "reasoning", "reasoning_content", "tool_calls")


@dataclass
class _Step:
    delta: JSONObject
    tokens: int  # generated tokens this step carries
    skipped: int = 0  # tokens of the engine steps before it that sent no chunk
    silent: bool = False  # a finish step with nothing to send (knob empty_finish_chunk)


def _parsed(delta: JSONObject, knobs: Knobs, plan: Plan) -> JSONObject:
    """A tool parser's delta: 0.20's hermes sets content (None) beside tool_calls
    (0.20.0 tool_parsers/hermes_tool_parser.py:287-290)."""
    if plan.parsed_tools and knobs.tool_parser_delta_content_null:
        return {"content": None, **delta}
    return delta


def _tool_steps(knobs: Knobs, plan: Plan, tokenize: Any) -> Iterator[_Step]:
    guided = plan.named_tool and not plan.named_parsed
    for index, call in enumerate(plan.tool_calls):
        fragments = tokenize(call.arguments) or [""]
        if guided and knobs.named_tool_stream is not NamedToolStream.FRAGMENTS:
            for fragment in fragments:
                item: JSONObject = {"function": {"name": call.name, "arguments": fragment}}
                if knobs.named_tool_stream is NamedToolStream.NAME_EVERY_DELTA:
                    item = {"index": index, **item}
                yield _Step({"tool_calls": [item]}, 1)
            continue
        header: JSONObject = {
            "id": call.id,
            "type": "function",
            "index": index,
            "function": {"name": call.name},
        }
        if guided:  # the first fragment rides on the header
            header["function"]["arguments"] = fragments.pop(0)
            yield _Step({"tool_calls": [header]}, 1)
            for fragment in fragments:
                item = {"index": index, "function": {"arguments": fragment}}
                yield _Step({"tool_calls": [item]}, 1)
            continue
        yield _Step(_parsed({"tool_calls": [header]}, knobs, plan), 0)
        for fragment in fragments:
            item = {"index": index, "function": {"arguments": fragment}}
            yield _Step(_parsed({"tool_calls": [item]}, knobs, plan), 1)


def _required_steps(knobs: Knobs, plan: Plan, tokenize: Any) -> Iterator[_Step]:
    """tool_choice "required" as the guided list [{"name": ..., "parameters": ...}] streams it
    (0.12.0 serving_chat.py:431-525, extract_tool_call_required_streaming): nothing until
    "parameters" parses, then the name with the first argument fragment, then one fragment a
    token with an explicit null name; the list's closing tokens and the EOS step send nothing
    (a DeltaMessage of None)."""
    typed = knobs.required_stream is RequiredStream.TYPED
    for index, call in enumerate(plan.tool_calls):
        fragments = tokenize(call.arguments) or [""]
        opening = "[" if index == 0 else "}, "
        prefix = f'{opening}{{"name": {json.dumps(call.name)}, "parameters": '
        header: JSONObject = {
            "type": "function",
            "index": index,
            "function": {"name": call.name, "arguments": fragments[0]},
        }
        if not typed:  # 0.9.2 serving_chat.py:406-413 sets the id; 0.8.5 :367-372 leaves it
            header = {"id": call.id, **header}
        yield _Step({"tool_calls": [header]}, 1, len(tokenize(prefix)))
        for fragment in fragments[1:]:
            item: JSONObject = {"index": index, "function": {"name": None, "arguments": fragment}}
            if typed:  # 0.8.5 serving_chat.py:380-389 type="function" on every delta
                item = {"type": "function", **item}
            yield _Step({"tool_calls": [item]}, 1)
    yield _Step({}, 1, len(tokenize("}]")), silent=True)


def _model_pieces(plan: Plan, tokenize: Any) -> list[str]:
    """What the model writes for an auto tool answer: its content, then one hermes block a
    call (the tags are whole tokens), a newline token between blocks."""
    pieces = list(plan.content)
    for position, call in enumerate(plan.tool_calls):
        if position:
            pieces += tokenize("\n")
        pieces += [START, *tokenize(hermes_block(call)), END]
    return pieces


def _hermes_steps(
    knobs: Knobs, plan: Plan, tokenize: Any, *, hold: int, ends_on_token: bool
) -> list[_Step]:
    """Content and tool calls as the pre-0.20 hermes parser streams them, one engine step a
    token, the EOS step last (unless the last token ends the stream)."""
    pieces = _model_pieces(plan, tokenize)
    texts, rest = held_back(pieces, hold, finished=ends_on_token)
    if not ends_on_token:
        pieces.append("")  # the EOS token: empty text, and what the hold-back kept
        texts.append(rest)
    ids = iter([call.id for call in plan.tool_calls])
    found = parsed_steps(knobs.hermes_stream, pieces, texts, ids, finishes=True)
    return [_Step(step.delta, 1, step.skipped) for step in found]


def held_back(pieces: list[str], hold: int, *, finished: bool) -> tuple[list[str], str]:
    """The text each token shows in a stream when vLLM's detokenizer holds back the last
    ``hold`` characters (a stop string must never be half sent), and what the final step
    then releases. ``finished``: the last piece ends the stream (no EOS step after it)."""
    if not hold:
        return list(pieces), ""
    out: list[str] = []
    text = shown = ""
    for position, piece in enumerate(pieces):
        text += piece
        last = finished and position == len(pieces) - 1
        upto = text if last else text[: max(len(text) - hold, len(shown))]
        out.append(upto[len(shown) :])
        shown = upto
    return out, text[len(shown) :]


def stream_steps(
    knobs: Knobs, plan: Plan, tokenize: Any, *, tool_parser: bool = False
) -> list[_Step]:
    """The deltas of one choice, the last one being the finish delta."""
    steps: list[_Step] = []
    for piece in plan.reasoning:
        steps.append(_Step(_reasoning_values(knobs, piece), 1))
    thought_out = plan.reasoning and (plan.content or plan.finish_reason != "length")
    if knobs.reasoning_end_content_chunk and thought_out and not tool_parser:
        # the </think> step ends the reasoning phase with no tool parser to hand over to, so
        # parse_delta passes its (empty) content through (0.22.0 parser/abstract_parser.py:
        # 689-698,738-744)
        steps.append(_Step({"content": ""}, 1))
    if plan.required_list:
        return steps + list(_required_steps(knobs, plan, tokenize))
    ends_on_token = plan.finish_reason == "length" or (
        plan.tool_calls and knobs.tool_finish_on_fragment
    )
    hold = plan.hold_back if knobs.stop_hold_back and not plan.reasoning else 0
    if plan.parsed_tools and knobs.hermes_stream is not HermesStream.REWRITTEN:
        return steps + _hermes_steps(
            knobs, plan, tokenize, hold=hold, ends_on_token=bool(ends_on_token)
        )
    shown, rest = held_back(plan.content, hold, finished=bool(ends_on_token))
    steps.extend(_Step({"content": piece}, 1) for piece in shown)
    steps.extend(_tool_steps(knobs, plan, tokenize))
    if not ends_on_token or not steps:
        # the EOS (or stop-string) token: counted, with empty text. A named tool_choice
        # wraps every step's text, the empty one too (0.12.0 serving_chat.py:866-869).
        eos: JSONObject = {"content": rest}
        fragments = knobs.named_tool_stream is NamedToolStream.FRAGMENTS
        guided = plan.named_tool and not plan.named_parsed
        if guided and plan.tool_calls and fragments:
            eos = {"tool_calls": [{"index": 0, "function": {"arguments": ""}}]}
        elif guided and plan.tool_calls:
            # the name again, around the empty text (0.5.3 serving_chat.py:312-321, 0.6.4
            # serving_chat.py:419-425 and 0.8.5 serving_chat.py:637-641 wrap every step's)
            item: JSONObject = {"function": {"name": plan.tool_calls[0].name, "arguments": rest}}
            if knobs.named_tool_stream is NamedToolStream.NAME_EVERY_DELTA:
                item = {"index": 0, **item}
            eos = {"tool_calls": [item]}
        elif plan.parsed_tools and knobs.tool_parser_delta_content_null:
            # the parser has nothing new at EOS: an empty DeltaMessage() is sent with the
            # finish reason (0.20.0 chat_completion/serving.py:1035-1044)
            eos = {}
        steps.append(_Step(eos, 1))
    return steps


class ChunkWriter:
    """Builds the chunk objects of one chat stream."""

    def __init__(
        self,
        knobs: Knobs,
        *,
        id: str,
        created: int,
        model: str,
        policy: StreamUsagePolicy,
        prompt_tokens: int,
        fingerprint: str | None = None,
    ) -> None:
        self.knobs = knobs
        self.fingerprint = fingerprint
        self.head = {
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
        }
        self.policy = policy
        self.prompt_tokens = prompt_tokens
        self.generated = 0

    def _chunk(self, choice: JSONObject, step_tokens: int, skipped: int = 0) -> JSONObject:
        chunk: JSONObject = {**self.head, "choices": [choice]}
        self.generated += step_tokens + skipped  # cumulative usage counts the silent steps too
        policy = self.policy
        if policy.continuous is ContinuousUsage.CUMULATIVE:
            chunk["usage"] = usage(self.knobs, self.prompt_tokens, self.generated, continuous=True)
        elif policy.continuous is ContinuousUsage.PER_CHUNK:
            chunk["usage"] = usage(self.knobs, self.prompt_tokens, step_tokens, continuous=True)
        elif policy.null_on_chunks:
            chunk["usage"] = None
        return chunk

    def role(self, index: int) -> JSONObject:
        delta: JSONObject = {"role": "assistant"}
        if self.knobs.role_chunk_content:
            delta["content"] = ""
        chunk = self._chunk(self._choice(index, delta), 0)
        for key in self.knobs.role_chunk_null_keys:
            chunk[key] = None
        return chunk

    def _delta(self, delta: JSONObject) -> JSONObject:
        if not self.knobs.delta_null_keys:
            return delta
        values = {key: None for key in self.knobs.delta_null_keys} | delta
        return {key: values[key] for key in DELTA_ORDER if key in values}

    def _choice(self, index: int, delta: JSONObject) -> JSONObject:
        choice: JSONObject = {
            "index": index,
            "delta": self._delta(delta),
            "logprobs": None,
            "finish_reason": None,
        }
        return choice

    def step(self, index: int, step: _Step) -> JSONObject:
        choice = self._choice(index, step.delta)
        for key in self.knobs.chunk_null_keys:
            choice[key] = None
        return self._top_nulls(self._chunk(choice, step.tokens, step.skipped))

    def _top_nulls(self, chunk: JSONObject) -> JSONObject:
        for key in self.knobs.chunk_top_null_keys:
            chunk[key] = None
        return self._dumped(chunk)

    def _dumped(self, chunk: JSONObject) -> JSONObject:
        """A content or finish chunk as the release dumps it: 0.9.0-0.9.1 write them with
        model_dump_json(exclude_none=True) (0.9.0 serving_chat.py:849, 0.9.1 :876), where
        0.9.2 has exclude_unset (:913): no null anywhere, and the delta's tool_calls, a list
        by default (0.9.0 protocol.py:1445, 0.9.1 :1452), is there when nothing set it."""
        if not self.knobs.chunk_exclude_none:
            return chunk
        dumped: JSONObject = without_nulls(chunk)
        for choice in dumped["choices"]:
            choice["delta"].setdefault("tool_calls", [])  # the model's last field
        return dumped

    def finish(self, index: int, step: _Step, plan: Plan, total: int) -> JSONObject:
        choice = self._choice(index, step.delta)
        choice["finish_reason"] = plan.finish_reason
        if self.knobs.named_tool_stream_finish_tool_calls and plan.named_tool and plan.tool_calls:
            choice["finish_reason"] = "tool_calls"  # tools_streamed[i] wins, a length cut too
        if self.knobs.required_stream_finish_tool_calls and plan.required_list:
            # the "required" branch sets tools_streamed[i] too (0.10.2 serving_chat.py:829,
            # 1047-1050; 0.12.0 :945,1186-1191)
            choice["finish_reason"] = "tool_calls"
        choice["stop_reason"] = plan.stop_reason
        for key in (*self.knobs.chunk_null_keys, *self.knobs.finish_choice_null_keys):
            choice[key] = None
        if self.knobs.finish_chunk_drops_nulls:
            choice = {k: v for k, v in choice.items() if v is not None}
        chunk = self._chunk(choice, step.tokens, step.skipped)
        if self.policy.in_finish_chunk:
            chunk["usage"] = usage(self.knobs, self.prompt_tokens, total, stream=True)
        if self.fingerprint is not None and not self.policy.final_chunk:
            # stamped on the terminal chunk only when no usage chunk follows
            chunk["system_fingerprint"] = self.fingerprint
        return self._top_nulls(chunk)

    def usage_chunk(self, completion: int, reasoning: int | None = None) -> JSONObject:
        chunk: JSONObject = {
            **self.head,
            "choices": [],
            "usage": usage(
                self.knobs, self.prompt_tokens, completion, stream=True, reasoning=reasoning
            ),
        }
        if self.fingerprint is not None:
            chunk["system_fingerprint"] = self.fingerprint
        return chunk


def chunks(
    writer: ChunkWriter,
    knobs: Knobs,
    plans: list[Plan],
    policy: StreamUsagePolicy,
    *,
    tool_parser: bool = False,
) -> list[JSONObject]:
    """Every chunk of a chat stream, in order: roles, the choices' steps, then usage.
    ``tool_parser``: --enable-auto-tool-choice with a --tool-call-parser."""
    chunks = [writer.role(i) for i in range(len(plans))]
    per_choice = [stream_steps(knobs, plan, tokenize, tool_parser=tool_parser) for plan in plans]
    longest = max(len(steps) for steps in per_choice)
    for position in range(longest):  # choices advance together, one engine step at a time
        for index, steps in enumerate(per_choice):
            if position < len(steps) - 1:
                chunks.append(writer.step(index, steps[position]))
            elif position == len(steps) - 1:
                if steps[position].silent and not knobs.empty_finish_chunk:
                    # before 0.10.2 a finish step whose delta is None is skipped like any
                    # other (0.9.2 serving_chat.py:823-824): the choice never finishes
                    continue
                plan = plans[index]
                chunks.append(writer.finish(index, steps[position], plan, plan.completion_tokens))
    if policy.final_chunk:
        completion = sum(p.completion_tokens for p in plans)
        chunks.append(writer.usage_chunk(completion, reasoning_tokens(knobs, plans)))
    return chunks

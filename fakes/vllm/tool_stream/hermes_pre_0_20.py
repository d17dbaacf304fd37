"""vLLM's hermes tool parser as it streamed before its rewrite in 0.19 (the module's name says
0.20, where the rewrite was first read).

A port of ``Hermes2ProToolParser.extract_tool_calls_streaming`` (vLLM, Apache-2.0, copyright
the vLLM contributors) from ``vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py``
(0.6.3-0.12.0; ``vllm/tool_parsers/hermes_tool_parser.py`` in 0.14.0-0.18.0), with the
part of the chat serving loop that consumes it (``serving_chat.py``: a ``None`` delta sends
no chunk, the finish step's remaining-arguments check). The parser re-reads the growing text
with ``partial_json_parser`` and sends argument text cut by its own rules, so the fragments
are not the model's tokens: ``{"city": "Paris"}`` streams as ``{"city": "``, ``Paris``,
``"``, ``}``, ``""``, ``"\\n"`` on 0.11-0.18.

Token ids are the fake's pieces themselves: the tags are whole tokens in the fake's
vocabulary, as in the reference harness's tiny tokenizer. The variants (``HermesStream``)
differ where the releases' files differ; each branch cites the release and line it ports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fakes.profiles import HermesStream
from fakes.types import JSONObject

START = "<tool_call>"
END = "</tool_call>"


def _arguments_delta(index: int, arguments: str) -> JSONObject:
    # DeltaToolCall(index=..., function=DeltaFunctionCall(arguments=...)) dumped exclude_unset
    return {"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}


def _find_common_prefix(s1: str, s2: str) -> str:
    # 0.6.3 tool_parsers/utils.py:1-21
    prefix = ""
    for i in range(min(len(s1), len(s2))):
        if s1[i] != s2[i]:
            break
        prefix += s1[i]
    return prefix


def _find_common_suffix(s1: str, s2: str) -> str:
    # 0.6.3 tool_parsers/utils.py:24-39: stops at the first alphanumeric character
    suffix = ""
    for i in range(1, min(len(s1), len(s2)) + 1):
        if s1[-i] != s2[-i] or s1[-i].isalnum():
            break
        suffix = s1[-i] + suffix
    return suffix


def extract_intermediate_diff(curr: str, old: str) -> str:
    """0.6.3 tool_parsers/utils.py:42-72."""
    suffix = _find_common_suffix(curr, old)
    old = old[::-1].replace(suffix[::-1], "", 1)[::-1]
    prefix = _find_common_prefix(curr, old)
    diff = curr
    if suffix:
        diff = diff[::-1].replace(suffix[::-1], "", 1)[::-1]
    if prefix:
        diff = diff.replace(prefix, "", 1)
    return diff


class HermesParser:
    """One request's parser state (vLLM builds one parser per request)."""

    def __init__(self, variant: HermesStream, tool_ids: Iterator[str]) -> None:
        self.variant = variant
        # 0.6.0-0.6.4's parser (json.dumps diffs); 0.6.0 also sends an initial delta first
        self.json_diff = variant in (HermesStream.JSON_DIFF, HermesStream.JSON_DIFF_INITIAL)
        self.initial_delta = variant is HermesStream.JSON_DIFF_INITIAL
        self.tool_ids = tool_ids  # the id make_tool_call_id() would draw, in call order
        self.current_tool_name_sent = False
        self.current_tool_initial_sent = False  # 0.6.0 hermes_tool_parser.py:37
        self.prev_tool_call_arr: list[dict[str, Any]] = []
        self.current_tool_id = -1
        self.streamed_args_for_tool: list[str] = []
        self.buffered_delta_text = ""

    def _delta_buffer(self, delta_text: str) -> str:
        """0.10.1.1+ tool_call_delta_buffer (0.18.0 hermes_tool_parser.py:87-113): the
        pieces of a tag split over tokens are held until its last one. Each tag is one token
        here, so its array holds just the tag."""
        if delta_text in (START, END):
            buffered = self.buffered_delta_text
            self.buffered_delta_text = ""
            return buffered + delta_text
        if self.buffered_delta_text:
            buffered = self.buffered_delta_text
            self.buffered_delta_text = ""
            return buffered + delta_text
        return delta_text

    def extract(
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_tokens: Sequence[str],
        current_tokens: Sequence[str],
        delta_tokens: Sequence[str],
    ) -> JSONObject | None:
        """extract_tool_calls_streaming: the delta to send for this step, or None for none."""
        try:
            return self._extract(
                previous_text,
                current_text,
                delta_text,
                previous_tokens,
                current_tokens,
                delta_tokens,
            )
        except Exception:  # the release logs and skips the token (0.18.0 :501-503)
            return None

    def _extract(
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_tokens: Sequence[str],
        current_tokens: Sequence[str],
        delta_tokens: Sequence[str],
    ) -> JSONObject | None:
        # vLLM's own parser, loaded on first use (start-up time is a benchmark row)
        import partial_json_parser  # type: ignore[import-untyped]
        from partial_json_parser.core.exceptions import (  # type: ignore[import-untyped]
            MalformedJSON,
        )
        from partial_json_parser.core.options import Allow  # type: ignore[import-untyped]

        json_diff = self.json_diff
        if json_diff:
            # 0.6.3 hermes_tool_parser.py:127-142 (to 0.10.0): the tags are counted as token ids
            if START not in current_tokens:
                return {"content": delta_text}
            prev_start = list(previous_tokens).count(START)
            prev_end = list(previous_tokens).count(END)
            cur_start = list(current_tokens).count(START)
            cur_end = list(current_tokens).count(END)
        else:
            # 0.10.1.1+ (0.18.0 :190-214) counts them in the text, after the tag buffer; on
            # the fake's stream (tags are whole tokens) that counts as the ids did (0.7-0.10.0)
            delta_text = self._delta_buffer(delta_text)
            buffered = self.buffered_delta_text
            if len(previous_text) >= len(buffered) and previous_text[-len(buffered) :] == buffered:
                previous_text = previous_text[: -len(buffered)]  # [:-0] is "": as written
                current_text = previous_text + delta_text
            if START not in current_text:
                return {"content": delta_text}
            prev_start = previous_text.count(START)
            prev_end = previous_text.count(END)
            cur_start = current_text.count(START)
            cur_end = current_text.count(END)

        tool_call_portion: str | None = None
        text_portion: str | None = None
        if json_diff:
            # 0.6.3 :145-149: the text case falls through for a delta that is the end tag
            if cur_start == cur_end and prev_end == cur_end and delta_text != END:
                return {"content": delta_text}
        else:
            # 0.7.0+ (0.18.0 :219-236)
            if cur_start == cur_end and prev_end == cur_end and END not in delta_text:
                return {"content": delta_text}
            if END in delta_text:
                full_text = current_text + delta_text
                tool_call_portion = full_text.split(START)[-1].split(END)[0].rstrip()
                delta_text = delta_text.split(END)[0].rstrip()
                text_portion = delta_text.split(END)[-1].lstrip()

        flags = Allow.ALL if self.current_tool_name_sent else Allow.ALL & ~Allow.STR

        if cur_start > cur_end and cur_start > prev_start:  # a new tool call (0.18.0 :246-264)
            tool_call_portion = current_text.split(START)[-1] if len(delta_tokens) > 1 else None
            text_portion = None
            self.current_tool_id += 1
            self.current_tool_name_sent = False
            self.current_tool_initial_sent = False
            self.streamed_args_for_tool.append("")
        elif cur_start > cur_end and cur_start == prev_start:  # updating it (:267-273)
            tool_call_portion = current_text.split(START)[-1]
            text_portion = None
        elif json_diff and cur_start == cur_end and cur_end > prev_end:
            # closing (0.6.3 :187-204): whatever json.dumps of the arguments has that was not
            # streamed yet
            diff = self.prev_tool_call_arr[self.current_tool_id].get("arguments")
            if not diff:
                # 0.6.3 then parses tool_call_portion, never assigned on this path: the
                # UnboundLocalError is swallowed, nothing sent
                return None
            diff = json.dumps(diff).replace(self.streamed_args_for_tool[self.current_tool_id], "")
            self.streamed_args_for_tool[self.current_tool_id] += diff
            return _arguments_delta(self.current_tool_id, diff)
        elif not json_diff and cur_start == cur_end and cur_end >= prev_end:
            # closing (0.7.0+, 0.18.0 :276-309): only a delta holding '"}' is sent
            if not self.prev_tool_call_arr:
                return None
            diff = self.prev_tool_call_arr[self.current_tool_id].get("arguments")
            if diff:
                # (the release's `diff is str` test is never true: no unicode_escape)
                if '"}' not in delta_text:
                    return None
                diff = delta_text[: delta_text.rindex('"}')] + '"}'
                self.streamed_args_for_tool[self.current_tool_id] += diff
                return _arguments_delta(self.current_tool_id, diff)
        else:  # just text (0.18.0 :312-316)
            text = delta_text.replace(START, "").replace(END, "")
            return {"content": text, "tool_calls": []}

        try:
            current_tool_call = (
                partial_json_parser.loads(tool_call_portion or "{}", flags)
                if tool_call_portion
                else None
            )
        except (MalformedJSON, json.JSONDecodeError):  # not enough tokens yet (:325-330)
            return None

        if self.initial_delta and not self.current_tool_initial_sent:
            # 0.6.0 hermes_tool_parser.py:221-230: InitialDeltaToolCall(index=...) dumped
            # exclude_none, whatever was parsed (on the start tag's own step: nothing yet)
            self.current_tool_initial_sent = True
            initial = {"id": next(self.tool_ids), "type": "function", "index": self.current_tool_id}
            return {"tool_calls": [initial]}

        if not self.current_tool_name_sent:  # the name first, once it is whole (:337-354)
            if current_tool_call is None:
                return None
            function_name = current_tool_call.get("name")
            if not function_name:
                return None
            self.current_tool_name_sent = True
            if self.initial_delta:  # 0.6.0 :233-242: the name alone, the id went first
                named = {"index": self.current_tool_id, "function": {"name": function_name}}
                return {"tool_calls": [named]}
            header = {
                "id": next(self.tool_ids),
                "type": "function",
                "index": self.current_tool_id,
                "function": {"name": function_name},
            }
            return {"tool_calls": [header]}

        if tool_call_portion is None:  # (:358-366)
            return {"content": delta_text} if text_portion is not None else None
        if current_tool_call is None:
            return None

        if len(self.prev_tool_call_arr) <= self.current_tool_id:
            self.prev_tool_call_arr.append({})
        prev_arguments = self.prev_tool_call_arr[self.current_tool_id].get("arguments")
        cur_arguments = current_tool_call.get("arguments")

        delta: JSONObject | None = None
        if not cur_arguments:  # none yet, or (impossibly) reset: nothing sent (:395-406)
            delta = None
        elif not prev_arguments:
            delta = self._first_arguments(current_tool_call, tool_call_portion, delta_text)
            if delta is None and not self.json_diff:
                return None  # the release returns before saving the state (0.18.0 :435-436)
        else:
            delta = self._more_arguments(
                cur_arguments, prev_arguments, tool_call_portion, delta_text
            )

        if self.current_tool_id == len(self.prev_tool_call_arr) - 1:  # (:494-497)
            self.prev_tool_call_arr[self.current_tool_id] = current_tool_call
        else:
            self.prev_tool_call_arr.append(current_tool_call)
        return delta

    def _first_arguments(
        self, current_tool_call: dict[str, Any], tool_call_portion: str, delta_text: str
    ) -> JSONObject | None:
        """The first argument text: everything of the arguments up to this delta's text."""
        cur_arguments = current_tool_call.get("arguments")
        if self.variant is HermesStream.RAW_ARGUMENTS:
            # 0.11.0 hermes_tool_parser.py:378-396 (0.18.0 :419-437): the raw text after
            # "arguments": rather than json.dumps of the parsed value
            name = current_tool_call.get("name")
            if not isinstance(name, str):
                return None  # re.escape raises in the release: swallowed, nothing sent
            match = re.search(
                r'\{"name":\s*"' + re.escape(name) + r'"\s*,\s*"arguments":\s*(.*)',
                tool_call_portion.strip(),
                re.DOTALL,
            )
            json_text = match.group(1) if match else json.dumps(cur_arguments, ensure_ascii=False)
            if delta_text not in json_text:
                return None
            end = json_text.rindex(delta_text) + len(delta_text)
        elif self.variant is HermesStream.DELTA_TEXT:
            # 0.8.5 hermes_tool_parser.py:315-325 (0.7.0-0.10.2): json.dumps without its
            # last two characters
            json_text = json.dumps(cur_arguments, ensure_ascii=False)
            if delta_text not in json_text[:-2]:
                return None
            end = json_text[:-2].rindex(delta_text) + len(delta_text)
        else:
            # 0.6.3 hermes_tool_parser.py:285-291: str.index raises when absent (swallowed)
            json_text = json.dumps(cur_arguments)
            end = json_text.index(delta_text) + len(delta_text)
        arguments = json_text[:end]
        self.streamed_args_for_tool[self.current_tool_id] += arguments
        return _arguments_delta(self.current_tool_id, arguments)

    def _more_arguments(
        self, cur_arguments: Any, prev_arguments: Any, tool_call_portion: str, delta_text: str
    ) -> JSONObject:
        if self.json_diff:
            # 0.6.3 hermes_tool_parser.py:308-324: the middle where the dumps differ
            diff = extract_intermediate_diff(json.dumps(cur_arguments), json.dumps(prev_arguments))
            self.streamed_args_for_tool[self.current_tool_id] += diff
            return _arguments_delta(self.current_tool_id, diff)
        trim = True  # 0.8.5 :343-345 trims a closing brace always
        if self.variant is HermesStream.RAW_ARGUMENTS:
            # 0.11.0 :416-429 (0.18.0 :458-475): only once the block is complete JSON
            try:
                json.loads(tool_call_portion)
                trim = True
            except Exception:
                trim = False
        stripped = delta_text.rstrip()
        if trim and len(stripped) >= 1 and stripped[-1] == "}":
            delta_text = stripped[:-1]
        self.streamed_args_for_tool[self.current_tool_id] += delta_text
        return _arguments_delta(self.current_tool_id, delta_text)


@dataclass(frozen=True)
class ParsedStep:
    """One chunk the serving loop sends: its delta, the engine steps it carries (1) and the
    ones before it that sent nothing (their tokens still count)."""

    delta: JSONObject
    skipped: int


def parsed_steps(
    variant: HermesStream,
    pieces: Sequence[str],
    texts: Sequence[str],
    tool_ids: Iterator[str],
    *,
    finishes: bool,
) -> list[ParsedStep]:
    """The deltas the serving loop sends for one choice's engine steps (``pieces``: one
    token each, ``texts``: what each step shows after the detokenizer's hold-back). The last
    step carries the finish reason when ``finishes``."""
    parser = HermesParser(variant, tool_ids)
    out: list[ParsedStep] = []
    previous_text = ""
    previous: list[str] = []
    skipped = 0
    for position, (piece, text) in enumerate(zip(pieces, texts, strict=True)):
        current_text = previous_text + text
        current = [*previous, piece]
        delta = parser.extract(previous_text, current_text, text, previous, current, [piece])
        previous_text, previous = current_text, current
        last = finishes and position == len(pieces) - 1
        if delta is None:
            if not last:
                skipped += 1
                continue
            # 0.10.2+ sends DeltaMessage() with the finish reason (0.11.1 serving_chat.py:
            # 1066-1070); before, no chunk at all (0.8.5 :760-761), which this keeps as the
            # empty delta: no plan ends inside a tool block, where that would happen
            delta = {}
        if last:
            delta = _remaining_arguments(parser, delta)
        out.append(ParsedStep(delta, skipped))
        skipped = 0
    return out


def _remaining_arguments(parser: HermesParser, delta: JSONObject) -> JSONObject:
    """The finish step's check for arguments the parser parsed but never sent (0.8.5
    serving_chat.py:786-822; 0.6.3 :550-573 without the latest delta's length)."""
    calls = delta.get("tool_calls") or []
    function = calls[0].get("function") if calls else None
    if not isinstance(function, dict) or function.get("arguments") is None:
        return delta
    if not parser.prev_tool_call_arr:
        return delta
    index = len(parser.prev_tool_call_arr) - 1
    arguments = parser.prev_tool_call_arr[index].get("arguments", {})
    ascii_only = parser.json_diff  # ensure_ascii=False from 0.7
    expected = json.dumps(arguments, ensure_ascii=ascii_only)
    actual = parser.streamed_args_for_tool[index]
    latest = len(function["arguments"])
    if not parser.json_diff and latest > 0:
        actual = actual[:-latest]
    return _arguments_delta(index, expected.replace(actual, "", 1))

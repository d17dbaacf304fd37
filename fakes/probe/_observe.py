"""From exchanges to knob values: each measurement keeps the bytes it was read from."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.probe._client import Exchange
from fakes.probe._probes import REQUEST_ID, Run

EVIDENCE_LIMIT = 300
CHUNK_HEAD = ("id", "object", "created", "model", "choices", "usage")
FLAGS_MESSAGE = "requires --enable-auto-tool-choice"
PARSER_MESSAGE = "requires --tool-call-parser to be set"
EMPTY_TOOLS_MESSAGE = "`tools` must not be an empty array"


@dataclass(frozen=True)
class Observation:
    knob: str
    value: Any  # as a profile holds it: enums by value, lists as tuples
    evidence: str  # "probe: bytes"
    # applied to a profile's value before comparing (a partial view of the knob)
    project: Callable[[Any], Any] | None = None
    expressible: bool = True  # False: no knob value says this; shown, never written
    note: str = ""


@dataclass
class Observed:
    knobs: dict[str, Observation] = field(default_factory=dict)
    unobserved: dict[str, str] = field(default_factory=dict)  # knob -> why
    info: dict[str, Observation] = field(default_factory=dict)  # seen, not compared

    def add(self, knob: str, value: Any, evidence: str, **extra: Any) -> None:
        self.knobs[knob] = Observation(knob, norm(value), evidence, **extra)

    def skip(self, knob: str, why: str) -> None:
        self.unobserved.setdefault(knob, why)

    def note(self, key: str, value: Any, evidence: str) -> None:
        self.info[key] = Observation(key, value, evidence)


def norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(norm(v) for v in value)
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def evidence(exchange: Exchange, text: str | bytes | None = None) -> str:
    if text is None:
        text = exchange.body
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = text.strip()
    if not text:
        text = f"(empty body){' ' + exchange.error if exchange.error else ''}"
    if len(text) > EVIDENCE_LIMIT:
        text = text[: EVIDENCE_LIMIT - 3] + "..."
    status = exchange.status if exchange.status is not None else "no status"
    return f"{exchange.probe} -> {status}: {text}"


def split_id(value: str) -> tuple[str, str]:
    """``chatcmpl-<hex>`` -> (``chatcmpl-``, ``<hex>``)."""
    match = re.fullmatch(r"(.*[-_])([0-9A-Za-z]+)", value)
    return (match.group(1), match.group(2)) if match else ("", value)


def _is_hex(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]+", text))


def error_parts(body: Any) -> dict[str, Any] | None:
    """The message/type/param/code of a flat or nested error body."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        inner: dict[str, Any] = body["error"]
        return inner
    if isinstance(body, dict) and body.get("object") == "error":
        return body
    return None


def error_message(exchange: Exchange) -> str:
    parts = error_parts(exchange.json())
    if parts is not None:
        return str(parts.get("message") or "")
    return exchange.body.decode("utf-8", "replace")


def value_error(message: str) -> str | None:
    """The text of a pydantic "Value error, ..." inside a FastAPI error-list repr."""
    match = re.search(r"""'msg': (['"])Value error, (.*?)\1, '""", message)
    return match.group(2) if match else None


def data_chunks(exchange: Exchange) -> list[tuple[dict[str, Any], str]]:
    """JSON chunks of a stream with their raw ``data:`` lines ([DONE] and errors left out)."""
    lines = exchange.event_lines()
    out = []
    for event, line in zip(exchange.events(), lines, strict=False):
        if isinstance(event, dict) and "error" not in event:
            out.append((event, line))
    return out


def _choice(chunk: dict[str, Any]) -> dict[str, Any] | None:
    choices = chunk.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        first: dict[str, Any] = choices[0]
        return first
    return None


def _ok_stream(exchange: Exchange | None) -> bool:
    return exchange is not None and exchange.status == 200 and bool(data_chunks(exchange))


def _without(key: str) -> Callable[[Any], Any]:
    def project(keys: Any) -> Any:
        return tuple(k for k in keys if k != key)

    return project


# --- the measurements -------------------------------------------------------------------------


def observe_vllm(run: Run) -> Observed:
    """Every vLLM knob the probe set can see; the rest is listed with the reason."""
    seen = Observed()
    for measure in MEASUREMENTS:
        measure(run, seen)
    seen.skip(
        "request_fields",
        "request side: the fields a release knows never show on the wire (inherited)",
    )
    for knob in RESPONSES_STREAM_KNOBS:
        if knob not in seen.knobs:
            seen.skip(knob, "no /v1/responses stream to read (inherited)")
    seen.skip(
        "stream_error_style",
        "needs an error in the middle of a stream; the probe provokes none (inherited)",
    )
    seen.skip(
        "fastapi",
        "the deployment's FastAPI: a message shows only whether it is older than 0.124 "
        "(the error list) or not (counted lines naming the endpoint) (inherited)",
    )
    seen.skip(
        "fastapi_endpoints",
        "each route's file and line in FastAPI >= 0.124's message: the recorded cassettes "
        "compare them (inherited)",
    )
    seen.skip(
        "wheel_versions",
        "/version is noted as it is; a wheel's own number names no release to match (inherited)",
    )
    return seen


def _routes(run: Run, seen: Observed) -> None:
    health = run.get("health")
    if health is not None:
        seen.note("health", health.status, evidence(health))
    version = run.get("version")
    if version is not None:
        body = version.json()
        seen.note(
            "version",
            body.get("version") if isinstance(body, dict) else None,
            evidence(version),
        )
    tokenize = run.get("tokenize")
    if tokenize is not None and tokenize.status is not None:
        seen.add("tokenize", tokenize.status == 200, evidence(tokenize))
        body = tokenize.json()
        if tokenize.status == 200 and isinstance(body, dict):
            seen.add("tokenize_token_strs", "token_strs" in body, evidence(tokenize))
        else:
            seen.skip("tokenize_token_strs", "no /tokenize route (inherited)")
    responses = run.get("responses")
    if responses is None or responses.status is None:
        seen.skip("responses", "the /v1/responses probe got no answer")
        return
    if responses.status in (404, 405):
        seen.add("responses", "absent", evidence(responses))
        return
    if responses.status != 200:
        seen.add(
            "responses",
            f"answers {responses.status}",
            evidence(responses),
            expressible=False,
        )
        return
    prefix, _ = split_id(str((responses.json() or {}).get("id", "")))
    seen.add("response_id_prefix", prefix, evidence(responses))
    stream = run.get("responses-stream")
    if stream is None:
        seen.skip("responses", "the streaming /v1/responses probe was not sent")
    elif stream.status == 500:
        seen.add("responses", "non_streaming", evidence(stream))
    elif stream.status == 200 and stream.error and not stream.events():
        seen.add("responses", "stream_cut", evidence(stream))
    elif stream.status == 200 and stream.events():
        seen.add("responses", "streaming", evidence(stream, stream.event_lines()[0]))
        _responses_stream(run, seen, stream)
        return
    else:
        seen.add(
            "responses", f"stream answers {stream.status}", evidence(stream), expressible=False
        )


RESPONSES_STREAM_KNOBS = (
    "responses_stream",
    "responses_item_id",
    "responses_done_item_summary",
    "responses_done_item_status",
    "responses_completed_reuses_items",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _typed_events(exchange: Exchange) -> list[tuple[dict[str, Any], str]]:
    lines = exchange.event_lines()
    return [
        (event, line)
        for event, line in zip(exchange.events(), lines, strict=False)
        if isinstance(event, dict) and isinstance(event.get("type"), str)
    ]


def _first(events: list[tuple[dict[str, Any], str]], type: str) -> tuple[dict[str, Any], str]:
    return next(((e, line) for e, line in events if e["type"] == type), ({}, ""))


def _responses_stream(run: Run, seen: Observed, stream: Exchange) -> None:
    """The message item of a streamed /v1/responses answer: ids, indexes, how it closes."""
    events = _typed_events(stream)
    added, added_line = _first(events, "response.output_item.added")
    if not added:
        for knob in RESPONSES_STREAM_KNOBS:
            seen.skip(knob, "the /v1/responses stream had no message item")
        return
    item_id = str((added.get("item") or {}).get("id", ""))
    shown = evidence(stream, added_line)
    if _UUID.fullmatch(item_id):
        seen.add("responses_item_id", "uuid", shown)
    elif item_id.startswith("msg_") and _is_hex(item_id[4:]):
        seen.add("responses_item_id", "msg_hex", shown)
    elif _is_hex(item_id):
        seen.add("responses_item_id", "hex", shown)
    else:
        seen.add("responses_item_id", f"other: {item_id!r}", shown, expressible=False)
    delta, delta_line = _first(events, "response.output_text.delta")
    done, done_line = _first(events, "response.output_item.done")
    completed, completed_line = _first(events, "response.completed")
    status = (completed.get("response") or {}).get("status")
    if delta.get("content_index") == 1:
        seen.add("responses_stream", "every_delta", evidence(stream, delta_line))
    elif status == "completed":
        # a stop finish ends on the EOS step's empty text: 0.17 sends it as a delta, 0.18-0.20
        # then leave the item open
        empty = any(
            e["type"] == "response.output_text.delta" and e.get("delta") == "" for e, _ in events
        )
        style = ("send_empty" if empty else "state_machine") if done else "skip_empty"
        seen.add("responses_stream", style, evidence(stream, done_line or completed_line))
    else:
        seen.skip("responses_stream", "the stream ended on max_output_tokens (inherited)")
    if done:
        item = done.get("item") or {}
        seen.add("responses_done_item_summary", "summary" in item, evidence(stream, done_line))
        output = (completed.get("response") or {}).get("output") or [{}]
        seen.add(
            "responses_completed_reuses_items",
            output[0].get("id") == item_id,
            evidence(stream, completed_line),
        )
    else:
        for knob in ("responses_done_item_summary", "responses_completed_reuses_items"):
            seen.skip(knob, "the stream left its message item open (inherited)")
    _responses_length(run, seen)


def _responses_length(run: Run, seen: Observed) -> None:
    short = run.get("responses-stream-short")
    events = _typed_events(short) if short is not None and short.status == 200 else []
    done, line = _first(events, "response.output_item.done")
    if not done:
        seen.skip("responses_done_item_status", "no item closed on a length finish (inherited)")
        return
    assert short is not None
    incomplete = (done.get("item") or {}).get("status") == "incomplete"
    seen.add("responses_done_item_status", incomplete, evidence(short, line))


def _ids(run: Run, seen: Observed) -> None:
    chat = run.exchanges["chat"]
    body = chat.json()
    prefix, suffix = split_id(str(body.get("id", "")))
    shown = evidence(chat, f'"id":"{body.get("id")}"')
    seen.add("chat_id_prefix", prefix, shown)
    if _is_hex(suffix) and 8 <= len(suffix) <= 32:
        seen.add("id_hex_length", len(suffix), shown)
    else:
        seen.add("id_hex_length", f"not hex: {suffix!r}", shown, expressible=False)
    tagged = run.get("chat-request-id")
    if tagged is not None and tagged.status == 200:
        tagged_id = str((tagged.json() or {}).get("id", ""))
        seen.add(
            "request_id_header",
            tagged_id.endswith(REQUEST_ID),
            evidence(tagged, f'X-Request-Id: {REQUEST_ID} -> "id":"{tagged_id}"'),
        )
    header = chat.header("x-request-id")
    seen.add("x_request_id_response", header is not None, evidence(chat, f"x-request-id: {header}"))
    second = run.get("second-model")
    if second is None:
        seen.skip("echo_requested_model", "the server lists one model name; needs two")
    elif second.status == 200:
        model = (second.json() or {}).get("model")
        seen.add(
            "echo_requested_model",
            model == run.models[1],
            evidence(second, f'asked {run.models[1]!r}, "model":"{model}"'),
        )


def _bodies(run: Run, seen: Observed) -> None:
    chat = run.exchanges["chat"]
    body = chat.json()
    seen.add("chat_response_keys", tuple(body), evidence(chat))
    fingerprint = body.get("system_fingerprint")
    seen.add(
        "system_fingerprint",
        isinstance(fingerprint, str) and fingerprint.startswith("vllm-"),
        evidence(chat, f'"system_fingerprint":{_dump(fingerprint)}'),
    )
    choice = _choice(body) or {}
    seen.add("chat_choice_keys", tuple(choice), evidence(chat, f'"choices":[{_dump(choice)}]'))
    usage = body.get("usage")
    if isinstance(usage, dict):
        seen.add("usage_keys", tuple(usage), evidence(chat, f'"usage":{_dump(usage)}'))
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    assert isinstance(message, dict)
    seen.add(
        "empty_tool_calls",
        message.get("tool_calls") == [],
        evidence(chat, f'"message":{_dump(message)}'),
    )
    tool = run.get("tool-named")
    tool_message = _message(tool)
    if tool is not None and tool_message and tool_message.get("tool_calls"):
        seen.add("message_keys", tuple(tool_message), evidence(tool))
    elif "tool_calls" in message:
        seen.add("message_keys", tuple(message), evidence(chat))
    else:
        seen.add(
            "message_keys",
            tuple(message),
            evidence(chat, f'"message":{_dump(message)}'),
            project=_without("tool_calls"),
            note="compared without tool_calls (no tool call answer to see its place)",
        )
    texts = [
        key
        for key, value in message.items()
        if key not in ("role", "content") and isinstance(value, str) and value
    ]
    if texts:
        seen.add("reasoning_keys", tuple(texts), evidence(chat, f'"message":{_dump(message)}'))
    else:
        inline = "<think>" in str(message.get("content") or "")
        seen.skip(
            "reasoning_keys",
            "no reasoning text in the answer"
            + (" (reasoning is inline <think> in content)" if inline else "")
            + ": the server runs without a reasoning parser (inherited)",
        )
    models = run.get("models")
    listed = models.json() if models is not None and models.status == 200 else None
    cards = listed.get("data") if isinstance(listed, dict) else None
    if models is not None and isinstance(cards, list) and cards and isinstance(cards[0], dict):
        seen.add("model_card_keys", tuple(cards[0]), evidence(models))
        seen.note("owned_by", cards[0].get("owned_by"), evidence(models))
    completions = run.get("completions")
    done = completions.json() if completions is not None and completions.status == 200 else None
    if completions is not None and isinstance(done, dict):
        seen.add(
            "completion_id_prefix", split_id(str(done.get("id", "")))[0], evidence(completions)
        )
        seen.add("completion_response_keys", tuple(done), evidence(completions))
        first = _choice(done) or {}
        seen.add(
            "completion_choice_keys",
            tuple(first),
            evidence(completions, f'"choices":[{_dump(first)}]'),
        )
    stream = run.get("completions-stream")
    if stream is not None and _ok_stream(stream):
        chunk, line = data_chunks(stream)[0]
        seen.add(
            "completion_chunk_keys",
            tuple(k for k in chunk if k in CHUNK_HEAD),
            evidence(stream, line),
        )
        extra = [
            k
            for k in _choice(chunk) or {}
            if k not in ("index", "text", "logprobs", "finish_reason", "stop_reason")
        ]
        seen.add("completion_chunk_null_keys", tuple(extra), evidence(stream, line))


def _message(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None or exchange.status != 200:
        return None
    choice = _choice(exchange.json() or {})
    message = choice.get("message") if choice else None
    return message if isinstance(message, dict) else None


def _dump(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def _stream(run: Run, seen: Observed) -> None:
    stream = run.get("stream")
    if stream is None or not _ok_stream(stream):
        for knob in ("role_chunk_content", "stream_usage", "finish_chunk_drops_nulls"):
            seen.skip(knob, "the plain stream probe failed")
        return
    chunks = data_chunks(stream)
    role, role_line = chunks[0]
    delta = (_choice(role) or {}).get("delta") or {}
    seen.add("role_chunk_content", delta.get("content") == "", evidence(stream, role_line))
    seen.add(
        "role_chunk_null_keys",
        tuple(k for k in role if k not in CHUNK_HEAD and role[k] is None),
        evidence(stream, role_line),
    )
    middle = [
        (c, line)
        for c, line in chunks[1:]
        if _choice(c) is not None and (_choice(c) or {}).get("finish_reason") is None
    ]
    if middle:
        chunk, line = middle[0]
        choice = _choice(chunk) or {}
        seen.add(
            "chunk_null_keys",
            tuple(k for k in choice if k not in ("index", "delta", "logprobs", "finish_reason")),
            evidence(stream, line),
        )
        seen.add(
            "delta_null_keys",
            tuple(k for k, v in (choice.get("delta") or {}).items() if v is None),
            evidence(stream, line),
        )
        seen.add(
            "chunk_top_null_keys",
            tuple(k for k in chunk if k not in CHUNK_HEAD and chunk[k] is None),
            evidence(stream, line),
        )
        # exclude_none leaves a content chunk's choice without its null finish_reason
        seen.add("chunk_exclude_none", "finish_reason" not in choice, evidence(stream, line))
    else:
        for knob in (
            "chunk_null_keys",
            "delta_null_keys",
            "chunk_top_null_keys",
            "chunk_exclude_none",
        ):
            seen.skip(knob, "the stream had no content chunk")
    finish = [(c, line) for c, line in chunks if (_choice(c) or {}).get("finish_reason")]
    if finish:
        chunk, line = finish[-1]
        seen.add(
            "finish_chunk_drops_nulls",
            "logprobs" not in (_choice(chunk) or {}),
            evidence(stream, line),
        )
        known = ("index", "delta", "logprobs", "finish_reason", "stop_reason")
        content_keys = set(_choice(middle[0][0]) or {}) if middle else set()
        seen.add(
            "finish_choice_null_keys",
            tuple(
                k
                for k, v in (_choice(chunk) or {}).items()
                if v is None and k not in known and k not in content_keys
            ),
            evidence(stream, line),
        )
        seen.add(
            "stream_usage",
            "always_in_finish_chunk" if chunk.get("usage") else "on_request",
            evidence(stream, line),
        )


def _usage_chunk(exchange: Exchange) -> tuple[dict[str, Any], str] | None:
    for chunk, line in data_chunks(exchange):
        if chunk.get("choices") == [] and isinstance(chunk.get("usage"), dict):
            return chunk, line
    return None


def _choice_usages(exchange: Exchange) -> list[tuple[Any, str]]:
    return [(c.get("usage"), line) for c, line in data_chunks(exchange) if _choice(c) is not None]


def _stream_options(run: Run, seen: Observed) -> None:
    asked = run.get("stream-usage")
    if asked is None or asked.status is None:
        return
    if asked.status != 200:
        rejected = "stream_options" in error_message(asked)
        seen.add(
            "stream_options",
            False,
            evidence(asked),
            expressible=rejected,
            note="" if rejected else "rejected without naming stream_options",
        )
        for knob in (
            "null_usage_on_chunks",
            "continuous_usage",
            "continuous_usage_default",
            "stream_options_default_usage",
            "stream_options_stream_error",
        ):
            seen.skip(knob, "stream_options is rejected (inherited)")
        return
    seen.add("stream_options", True, evidence(asked, asked.event_lines()[0]))
    continuous = run.get("stream-continuous")
    supported = False
    if continuous is not None and _ok_stream(continuous):
        usages = _choice_usages(continuous)
        counted = [(u, line) for u, line in usages if isinstance(u, dict)]
        if counted:
            seen.add(
                "continuous_usage_null_keys",
                tuple(k for k, v in counted[-1][0].items() if v is None),
                evidence(continuous, counted[-1][1]),
            )
        total = _usage_chunk(continuous)
        if not counted:
            seen.add("continuous_usage", "unsupported", evidence(continuous, usages[-1][1]))
        elif total is not None and total[0]["usage"].get("completion_tokens", 0) > 1:
            last, line = counted[-1]
            same = last.get("completion_tokens") == total[0]["usage"].get("completion_tokens")
            seen.add(
                "continuous_usage",
                "cumulative" if same else "per_chunk",
                evidence(continuous, f"{line} ... {total[1]}"),
            )
            supported = True
        else:
            seen.skip("continuous_usage", "too few tokens to tell per-chunk from cumulative")
            supported = True
    usages = _choice_usages(asked)
    with_usage = [line for u, line in usages if isinstance(u, dict)]
    if supported:
        seen.add(
            "continuous_usage_default",
            bool(with_usage),
            evidence(asked, with_usage[0] if with_usage else usages[0][1]),
        )
    else:
        seen.skip("continuous_usage_default", "continuous usage is unsupported (inherited)")
    if with_usage:
        seen.skip("null_usage_on_chunks", "usage is continuous: never null (inherited)")
    elif usages:
        seen.add(
            "null_usage_on_chunks",
            any("usage" in line and '"usage":null' in line.replace(" ", "") for _, line in usages),
            evidence(asked, usages[0][1]),
        )
    empty = run.get("stream-options-empty")
    if empty is not None and empty.status == 200:
        found = _usage_chunk(empty)
        seen.add(
            "stream_options_default_usage",
            found is not None,
            evidence(empty, found[1] if found else empty.event_lines()[-2]),
        )
    no_stream = run.get("stream-options-no-stream")
    if no_stream is not None and no_stream.status is not None:
        if no_stream.status == 200:
            seen.add(
                "stream_options_stream_error",
                "(accepted: 200)",
                evidence(no_stream),
                expressible=False,
            )
        else:
            text = value_error(error_message(no_stream))
            if text is None:
                seen.add(
                    "stream_options_stream_error",
                    error_message(no_stream),
                    evidence(no_stream),
                    expressible=False,
                )
            else:
                seen.add("stream_options_stream_error", text, evidence(no_stream))


def _requests(run: Run, seen: Observed) -> None:
    missing = run.get("no-model")
    if missing is not None and missing.status in (200, 400):
        seen.add("model_required", missing.status == 400, evidence(missing))
    unknown = run.get("unknown-field")
    if unknown is not None and unknown.status is not None:
        if unknown.status == 200:
            seen.add("unknown_fields", "ignore", evidence(unknown))
        elif "llm_fakes_probe_unknown_field" in error_message(unknown):
            seen.add("unknown_fields", "reject", evidence(unknown))
    plain = run.get("text-plain")
    if plain is not None and plain.status is not None:
        seen.add("json_content_type_required", plain.status != 200, evidence(plain))


def _errors(run: Run, seen: Observed) -> None:
    invalid = run.get("invalid")
    if invalid is not None and invalid.status is not None:
        body = invalid.json()
        parts = error_parts(body)
        if parts is None:
            seen.add("error_shape", "not an error object", evidence(invalid), expressible=False)
        else:
            seen.add("error_shape", "nested" if "error" in body else "flat", evidence(invalid))
            seen.add("validation_error_type", parts.get("type"), evidence(invalid))
            message = str(parts.get("message") or "")
            # FastAPI >= 0.124 names the endpoint after the counted lines; vLLM 0.9-0.25 then
            # append the list
            named = re.search(r"\n  (File \"[^\n]*\n    |Endpoint: )[A-Z]+ /\S*", message)
            if message.startswith("[{"):
                seen.add("validation_style", "fastapi_repr", evidence(invalid))
                seen.skip(
                    "validation_appends_errors",
                    "FastAPI before 0.124: str(exc) is the list, which vLLM does not repeat",
                )
            elif named is not None:
                seen.add("validation_style", "fastapi_repr", evidence(invalid))
                appended = message[named.end() :].startswith(" [{")
                seen.add("validation_appends_errors", appended, evidence(invalid))
            elif re.match(r"\d+ validation errors?:\n  \{", message):
                bounded = "'loc': '" in message  # 0.30 writes the loc as a dotted string
                style = "counted_bounded" if bounded else "counted"
                seen.add("validation_style", style, evidence(invalid))
            else:
                seen.add(
                    "validation_style",
                    "message: " + message[:60],
                    evidence(invalid),
                    expressible=False,
                )
            seen.add(
                "validation_param_loc",
                parts.get("param") == "body.messages",
                evidence(invalid, f'"param":{_dump(parts.get("param"))}'),
            )
        seen.note("validation_status", invalid.status, evidence(invalid))
    unknown = run.get("unknown-model")
    parts = error_parts(unknown.json()) if unknown is not None else None
    if unknown is not None and parts is not None and unknown.status == 404:
        seen.add("not_found_param", parts.get("param") == "model", evidence(unknown))
        seen.add(
            "not_found_lists_models",
            "Valid aliases" in str(parts.get("message")),
            evidence(unknown),
        )


TOOL_KNOBS = (
    "tools",
    "tool_call_id_prefix",
    "named_tool_stream",
    "tool_finish_on_fragment",
    "tool_choice_strings",
    "tool_choice_string_error",
    "auto_tools_need_flags",
    "tools_default_auto",
    "parserless_tool_choice",
    "empty_tools",
)


def _tools(run: Run, seen: Observed) -> None:
    named = run.get("tool-named")
    message = _message(named)
    if named is None or named.status is None:
        return
    calls = (message or {}).get("tool_calls")
    refused = named.status == 400 and PARSER_MESSAGE in error_message(named)
    if refused:  # 0.14+ without --tool-call-parser: the release knows tools
        seen.add("tools", True, evidence(named))
        described = 'tool_choice=function "' in error_message(named)
        seen.add("parserless_tool_choice", "described" if described else "repr", evidence(named))
        for knob in ("tool_call_id_prefix", "named_tool_stream", "tool_finish_on_fragment"):
            seen.skip(knob, "no --tool-call-parser: a named tool_choice is refused (inherited)")
        _tool_strings(run, seen)
        return
    seen.skip(
        "parserless_tool_choice",
        "a named tool_choice was answered: the server has a parser, or needs none (inherited)",
    )
    if not calls:
        seen.add("tools", False, evidence(named))
        for knob in TOOL_KNOBS[1:]:
            if knob not in seen.knobs:
                seen.skip(knob, "the server does not take tools (inherited)")
        return
    seen.add("tools", True, evidence(named))
    call_id = str(calls[0].get("id", ""))
    seen.add("tool_call_id_prefix", split_id(call_id)[0], evidence(named, f'"id":"{call_id}"'))
    stream = run.get("tool-named-stream")
    if stream is not None and _ok_stream(stream):
        deltas = [
            (c, line)
            for c, line in data_chunks(stream)
            if ((_choice(c) or {}).get("delta") or {}).get("tool_calls")
        ]
        if deltas:
            first = (_choice(deltas[0][0]) or {})["delta"]["tool_calls"][0]
            style = (
                "name_every_delta_no_index"
                if "index" not in first
                else "fragments"
                if "id" in first
                else "name_every_delta"
            )
            seen.add("named_tool_stream", style, evidence(stream, deltas[0][1]))
        finish = [
            (c, line) for c, line in data_chunks(stream) if (_choice(c) or {}).get("finish_reason")
        ]
        if finish and (_choice(finish[-1][0]) or {}).get("finish_reason") != "length":
            delta = (_choice(finish[-1][0]) or {}).get("delta") or {}
            # an EOS delta of a named tool_choice is a tool call with arguments "" (0.12.0
            # serving_chat.py:866-869): only a non-empty fragment on the finish counts
            fragments = [
                (call.get("function") or {}).get("arguments")
                for call in delta.get("tool_calls") or []
                if isinstance(call, dict)
            ]
            seen.add(
                "tool_finish_on_fragment",
                any(fragments),
                evidence(stream, finish[-1][1]),
            )
        else:
            seen.skip("tool_finish_on_fragment", "the tool stream ended on max_tokens")
    _tool_strings(run, seen)


def _tool_strings(run: Run, seen: Observed) -> None:
    accepted: list[str] = []
    rejection: tuple[str, Exchange] | None = None
    auto = run.get("tool-auto")
    for choice in ("none", "auto", "required"):
        exchange = run.get(f"tool-{choice}")
        if exchange is None or exchange.status is None:
            continue
        message_text = error_message(exchange) if exchange.status != 200 else ""
        if (
            exchange.status == 200
            or FLAGS_MESSAGE in message_text
            or PARSER_MESSAGE in message_text
        ):
            accepted.append(choice)
        elif rejection is None:
            text = "" if exchange.status == 500 else value_error(message_text)
            if text is not None:
                rejection = (text, exchange)
    shown = "; ".join(
        f"{c}: {run.exchanges[f'tool-{c}'].status}"
        for c in ("none", "auto", "required")
        if f"tool-{c}" in run.exchanges
    )
    seen.add("tool_choice_strings", tuple(accepted), f"tool-none/auto/required -> {shown}")
    if rejection is not None:
        seen.add("tool_choice_string_error", rejection[0], evidence(rejection[1]))
    else:
        seen.skip("tool_choice_string_error", "every tool_choice string is accepted (inherited)")
    flags = auto is not None and FLAGS_MESSAGE in error_message(auto)
    if flags:
        assert auto is not None
        seen.add("auto_tools_need_flags", True, evidence(auto))
    else:
        seen.skip(
            "auto_tools_need_flags",
            '"auto" answered: the server runs with the tool flags, or the release needs '
            "none (inherited)",
        )
    default = run.get("tools-default")
    if default is not None and default.status is not None and (auto is None or auto.status != 200):
        seen.add(
            "tools_default_auto",
            FLAGS_MESSAGE in error_message(default),
            evidence(default),
        )
    else:
        seen.skip("tools_default_auto", '"auto" works on this server: cannot tell (inherited)')
    _empty_tools(run, seen)


def _empty_tools(run: Run, seen: Observed) -> None:
    empty, required = run.get("tools-empty"), run.get("tool-required")
    if empty is None or empty.status is None:
        return
    message = error_message(empty) if empty.status != 200 else ""
    parserless = required is not None and PARSER_MESSAGE in error_message(required)
    if EMPTY_TOOLS_MESSAGE in message:
        body = empty.json()
        error = body.get("error") if isinstance(body, dict) else None
        parameter = isinstance(error, dict) and error.get("param") == "tools"
        seen.add("empty_tools", "rejected_parameter" if parameter else "rejected", evidence(empty))
    elif PARSER_MESSAGE in message:  # [] kept as set: "required" reached the parser check
        seen.add("empty_tools", "set", evidence(empty))
    elif empty.status == 200 and parserless:  # [] dropped: "required" became "none"
        seen.add("empty_tools", "omitted", evidence(empty))
    else:
        seen.skip("empty_tools", '"required" with [] answered: cannot tell (inherited)')


def _auth(run: Run, seen: Observed) -> None:
    missing = run.get("auth-missing")
    if missing is None:
        seen.skip("auth_prefixes", "needs --api-key (a server started with --api-key)")
        return
    seen.note("auth_error", missing.status, evidence(missing))
    if missing.status != 401:
        seen.skip("auth_prefixes", "the server answers /v1 without a key")
        return
    prefixes = ["/v1"]
    shown = [f"/v1/models -> {missing.status}"]
    for name, prefix in (
        ("auth-v2", "/v2"),
        ("auth-inference", "/inference"),
        ("auth-cohere", "/cohere"),
    ):
        exchange = run.get(name)
        if exchange is not None:
            shown.append(f"{exchange.path} -> {exchange.status}")
            if exchange.status == 401:
                prefixes.append(prefix)
    seen.add("auth_prefixes", tuple(prefixes), "auth-*: " + "; ".join(shown) + " (no key)")


def _headers(run: Run, seen: Observed) -> None:
    chat = run.exchanges["chat"]
    seen.note("server", chat.header("server"), evidence(chat, f"server: {chat.header('server')}"))


MEASUREMENTS: tuple[Callable[[Run, Observed], None], ...] = (
    _routes,
    _ids,
    _bodies,
    _stream,
    _stream_options,
    _requests,
    _errors,
    _tools,
    _auth,
    _headers,
)

"""The seed's second half: streams and their usage, wherever (and whether) it arrives."""

from __future__ import annotations

from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import ask, chunk, says, usage
from fakes.model.canned import CannedRoute, json_response, sse_data, sse_response

_CHAT = "/v1/chat/completions"


def _stream(*payloads: object, done: bool = True) -> tuple[CannedRoute, ...]:
    return (CannedRoute(path=_CHAT, responses=(sse_response(sse_data(*payloads, done=done)),)),)


_HELLO = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
]

SCENARIOS = [
    Scenario(
        id="plain_completion",
        family="usage",
        title="a plain non-streaming answer with usage",
        quirk="model_dump bodies with nulls (docs/quirks.md#vllm-chat_response_keys)",
        request=ask(),
        script=says(),
    ),
    Scenario(
        id="stream_usage",
        family="usage",
        title="a stream: usage only when asked (0.5+), in the finish chunk always (0.4)",
        quirk=(
            "prism #900: no usage at the end of a stream "
            "(docs/wire-quirks.md#seed, docs/quirks.md#vllm-stream_usage)"
        ),
        request=ask(stream=True),
        script=says(),
    ),
    Scenario(
        id="stream_usage_absent",
        family="usage",
        title="a stream that never reports usage, even when asked: usage stays unknown",
        quirk="unknown is not zero (docs/wire-quirks.md#unknown-is-not-zero)",
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_stream(*_HELLO, chunk({}, "stop")),
    ),
    Scenario(
        id="usage_chunk_with_choices",
        family="usage",
        title="the usage chunk carries choices [{index 0, delta {}}] (LiteLLM 1.74)",
        quirk=(
            "usage chunk with non-empty choices "
            "(docs/quirks.md#litellm-usage_chunk, docs/wire-quirks.md#usage-placement)"
        ),
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_stream(
            *_HELLO,
            chunk({}, "stop"),
            chunk(choices=[{"index": 0, "delta": {}}], usage=usage(12, 2)),
        ),
    ),
    Scenario(
        id="usage_cumulative",
        family="usage",
        title="usage on every chunk, cumulative: take the last, do not sum",
        quirk=(
            "continuous usage stats "
            "(docs/quirks.md#vllm-continuous_usage, docs/wire-quirks.md#usage-placement)"
        ),
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_stream(
            chunk({"role": "assistant", "content": ""}, usage=usage(12, 0)),
            chunk({"content": "Hel"}, usage=usage(12, 1)),
            chunk({"content": "lo"}, usage=usage(12, 2)),
            chunk({}, "stop", usage=usage(12, 2)),
            chunk(choices=[], usage=usage(12, 2)),
        ),
    ),
    Scenario(
        id="choices_empty_and_null",
        family="usage",
        title="chunks with choices [] and choices null (content-filter and usage chunks)",
        quirk="choices [] / null chunks (docs/wire-quirks.md#choices-empty-or-null)",
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_stream(
            chunk(choices=[], prompt_filter_results=[{"prompt_index": 0}]),
            *_HELLO,
            chunk(choices=None),
            chunk({}, "stop"),
            chunk(choices=[], usage=usage(12, 2)),
        ),
    ),
    Scenario(
        id="stream_options_rejected",
        family="usage",
        title="stream_options rejected with 422 (Mistral style): ask again without it",
        quirk=(
            "stream_options rejected by some backends (docs/wire-quirks.md#stream-options-rejected)"
        ),
        request=ask(stream=True),
        runs_on=WIRE,
        canned=(
            CannedRoute(
                path=_CHAT,
                body_contains="stream_options",
                responses=(
                    json_response(
                        422,
                        {
                            "object": "error",
                            "message": "stream_options: Extra inputs are not permitted",
                            "type": "invalid_request_error",
                            "param": None,
                            "code": None,
                        },
                    ),
                ),
            ),
            CannedRoute(
                path=_CHAT, responses=(sse_response(sse_data(*_HELLO, chunk({}, "stop"))),)
            ),
        ),
    ),
    Scenario(
        id="max_tokens_length",
        family="usage",
        title="max_tokens=3 is honoured: three tokens and finish_reason length",
        quirk="token-limit field names (docs/wire-quirks.md#request-side)",
        request=ask(max_tokens=3),
        script=says(),
    ),
]

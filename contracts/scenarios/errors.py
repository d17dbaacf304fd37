"""Errors: each backend's body shapes and statuses, and failures after a 200."""

from __future__ import annotations

from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import ask, says
from fakes.model.canned import (
    CannedResponse,
    CannedRoute,
    json_response,
    sse_response,
    text_response,
)
from fakes.model.faults import Fault, FaultKind, FaultRule

_CHAT = "/v1/chat/completions"
_LONG = "It is sunny in Paris today, twenty one degrees, light wind from the west, no rain."


def _fault(kind: FaultKind, **fields: object) -> tuple[FaultRule, ...]:
    return (FaultRule(fault=Fault(kind=kind, **fields)),)


def _chat_answer(response: CannedResponse) -> tuple[CannedRoute, ...]:
    return (CannedRoute(path=_CHAT, responses=(response,)),)


SCENARIOS = [
    Scenario(
        id="unknown_model",
        family="errors",
        title="an unknown model is model_not_found, not endpoint_unsupported",
        quirk=(
            "404 NotFoundError / LiteLLM 400 invalid model name "
            "(docs/quirks.md#vllm-not_found_param, docs/quirks.md#litellm-unknown_model_dict_repr)"
        ),
        request=ask(),
        model="no-such-model",
    ),
    Scenario(
        id="bad_request",
        family="errors",
        title="an invalid parameter is a 400 (never 422 on vLLM), classified bad_request",
        quirk="validation errors are 400 (docs/quirks.md#vllm-validation_style)",
        request=ask(max_tokens=-1),
    ),
    Scenario(
        id="missing_api_key",
        family="errors",
        title="the server wants a key and none is sent: auth",
        quirk=(
            "401 {'error': 'Unauthorized'} "
            "(docs/quirks.md#vllm-auth_prefixes, docs/quirks.md#litellm-auth_param)"
        ),
        request=ask(),
        vllm={"api_keys": ("sk-server-key",)},
        api_key="",
    ),
    Scenario(
        id="server_error",
        family="errors",
        title="a 500 in the backend's own error shape",
        quirk="flat up to 0.10.0, nested from 0.10.1 (docs/quirks.md#vllm-error_shape)",
        request=ask(),
        faults=_fault(FaultKind.HTTP_ERROR, status=500, message="engine died"),
    ),
    Scenario(
        id="error_frame_mid_stream",
        family="errors",
        title="an error frame after a 200 and some text: error with the partial text kept",
        quirk="data: {'error': ...} then [DONE] (docs/quirks.md#vllm-stream_error_style)",
        request=ask(stream=True),
        script=says(_LONG),
        faults=_fault(FaultKind.ERROR_FRAME, after_chunks=4, message="engine died"),
    ),
    Scenario(
        id="stream_cut",
        family="errors",
        title="the connection drops mid-stream: truncated, partial text kept",
        quirk=(
            "cut connection vs clean end "
            "(docs/quirks.md#litellm-upstream_cut, docs/wire-quirks.md#sse-details)"
        ),
        request=ask(stream=True),
        script=says(_LONG),
        faults=_fault(FaultKind.CUT, after_chunks=4),
    ),
    Scenario(
        id="error_plain_text_502",
        family="errors",
        title="a 502 with a plain-text body from a gateway",
        quirk="error bodies as plain text (docs/wire-quirks.md#error-bodies)",
        request=ask(),
        runs_on=WIRE,
        canned=_chat_answer(text_response(502, "Bad Gateway")),
    ),
    Scenario(
        id="error_html_502",
        family="errors",
        title="a 502 with an HTML page from nginx",
        quirk="error bodies as HTML (docs/wire-quirks.md#error-bodies)",
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_chat_answer(
            text_response(
                502,
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "text/html",
            )
        ),
    ),
    Scenario(
        id="error_event_line",
        family="errors",
        title="an 'event: error' SSE event after some content",
        quirk="event: error lines (docs/wire-quirks.md#error-bodies)",
        request=ask(stream=True),
        runs_on=WIRE,
        canned=_chat_answer(
            sse_response(
                [
                    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
                    b'"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},'
                    b'"finish_reason":null}]}\n\n',
                    b'event: error\ndata: {"message": "overloaded", "code": 503}\n\n',
                ]
            )
        ),
    ),
    Scenario(
        id="rate_limited",
        family="errors",
        title="429 with retry-after in OpenAI's nested shape",
        quirk="429 cooldown answers (docs/quirks.md#litellm-cooldown_retry_after)",
        request=ask(),
        runs_on=WIRE,
        canned=_chat_answer(
            json_response(
                429,
                {
                    "error": {
                        "message": "slow down",
                        "type": "rate_limit",
                        "param": None,
                        "code": "429",
                    }
                },
            )
        ),
    ),
    Scenario(
        id="malformed_missing_choices",
        family="errors",
        title="a 200 body without choices is a protocol error, not an empty answer",
        quirk="malformed 200 bodies (docs/wire-quirks.md#malformed-200)",
        request=ask(),
        runs_on=WIRE,
        canned=_chat_answer(json_response(200, {"id": "x", "object": "chat.completion"})),
    ),
    Scenario(
        id="content_null_no_tools",
        family="errors",
        title="a 200 body with content null and no tool calls: empty text, not a crash",
        quirk="content null with no tool calls (docs/wire-quirks.md#malformed-200)",
        request=ask(),
        runs_on=WIRE,
        canned=_chat_answer(
            json_response(
                200,
                {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 1,
                    "model": "fake-model",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": None},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 0, "total_tokens": 12},
                },
            )
        ),
    ),
]

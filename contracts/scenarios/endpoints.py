"""The seed's first half: a client that wants /v1/responses from a backend that lacks it."""

from __future__ import annotations

from contracts._driver import ENDPOINT_OPTION
from contracts._scenario import WIRE, Scenario
from contracts.scenarios._build import ask, says
from fakes.model.canned import CannedRoute, json_response, text_response

_OPTION = frozenset({ENDPOINT_OPTION})
_SEED = (
    "/v1/responses absent before vLLM 0.10; prism #900 "
    "(docs/wire-quirks.md#seed, docs/quirks.md#vllm-responses)"
)


def _missing_responses(status: int, body: str, content_type: str) -> tuple[CannedRoute, ...]:
    return (
        CannedRoute(path="/v1/responses", responses=(text_response(status, body, content_type),)),
    )


SCENARIOS = [
    Scenario(
        id="responses_auto_fallback",
        family="endpoints",
        title="endpoint=auto: /v1/responses where it exists, chat completions where it 404s",
        quirk=_SEED,
        request=ask(endpoint="auto"),
        script=says(),
        requires=_OPTION,
        check_calls=True,
    ),
    Scenario(
        id="responses_pinned",
        family="endpoints",
        title="endpoint=responses: no fallback, a missing route is endpoint_unsupported",
        quirk=_SEED,
        request=ask(endpoint="responses"),
        script=says(),
        requires=_OPTION,
        check_calls=True,
    ),
    Scenario(
        id="responses_auto_stream",
        family="endpoints",
        title="endpoint=auto streaming: falls back on 404, not on 0.10.0's 500, cut from 0.10.1",
        quirk=(
            "0.10.0 non-streaming only; later streams per release (docs/quirks.md#vllm-responses)"
        ),
        request=ask(endpoint="auto", stream=True),
        script=says(),
        requires=_OPTION,
        check_calls=True,
    ),
    Scenario(
        id="responses_405_fallback",
        family="endpoints",
        title="/v1/responses answers 405 Method Not Allowed: fall back to chat",
        quirk="responses endpoint unavailable (405) (docs/wire-quirks.md#error-bodies)",
        request=ask(endpoint="auto"),
        runs_on=WIRE,
        script=says(),
        canned=(
            CannedRoute(
                path="/v1/responses",
                responses=(json_response(405, {"detail": "Method Not Allowed"}),),
            ),
        ),
        requires=_OPTION,
        check_calls=True,
    ),
    Scenario(
        id="responses_501_fallback",
        family="endpoints",
        title="/v1/responses answers 501 Not Implemented in plain text: fall back to chat",
        quirk="responses endpoint unavailable (501) (docs/wire-quirks.md#error-bodies)",
        request=ask(endpoint="auto"),
        runs_on=WIRE,
        script=says(),
        canned=_missing_responses(501, "Not Implemented", "text/plain; charset=utf-8"),
        requires=_OPTION,
        check_calls=True,
    ),
    Scenario(
        id="responses_html_500_no_fallback",
        family="endpoints",
        title="/v1/responses answers a proxy's HTML 500 page: a server error, no fallback",
        quirk="HTML error bodies; a 500 is not a missing route (docs/wire-quirks.md#error-bodies)",
        request=ask(endpoint="auto"),
        runs_on=WIRE,
        script=says(),
        canned=_missing_responses(
            500,
            "<html><head><title>500 Internal Server Error</title></head>"
            "<body><center><h1>500 Internal Server Error</h1></center><hr>nginx</body></html>",
            "text/html",
        ),
        requires=_OPTION,
        check_calls=True,
    ),
]

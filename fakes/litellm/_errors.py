"""LiteLLM's error bodies: always nested, ``code`` a string; messages per release."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from fakes.litellm._config import Deployment
from fakes.litellm._unhandled import UnhandledError
from fakes.profiles import LitellmKnobs, MissingMessages, TimeoutWording, UpstreamErrorFormat

# LiteLLM's exception class for an upstream status.
CLASS_FOR_STATUS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "Timeout",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}

CUT_MESSAGE = (
    "Response payload is not completed: <TransferEncodingError: 400, "
    "message='Not enough data to satisfy transfer length header.'>"
)


def error_class(status: int) -> str:
    return CLASS_FOR_STATUS.get(status, "APIError" if status < 500 else "InternalServerError")


def error_type(status: int) -> str:
    """The ``type`` 1.110 gives a wrapped upstream error (404 and 500 seen; others by class)."""
    return "internal_server_error" if status >= 500 else "invalid_request_error"


class ProxyError(Exception):
    """Raised inside a handler; becomes LiteLLM's nested error body."""

    def __init__(
        self,
        message: str,
        status: int,
        type: str | None = None,
        param: str | None = None,
        *,
        headers: list[tuple[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param
        self.headers = headers or []
        self.extra = extra or {}
        # an upstream error's message before the router's footer (1.74 repeats it)
        self.bare: str | None = None
        self.content_policy = False  # read as a ContentPolicyViolationError
        # set when the router's retries ran: (the last retry's index, the retries allowed),
        # which 1.74's str(exception) names ("LiteLLM Retried: 1 times, ...")
        self.retried: tuple[int, int] | None = None
        self.timed_out = False  # the deployment's own timeout ended the attempt

    def body(self) -> dict[str, Any]:
        inner = {
            "message": self.message,
            "type": self.type,
            "param": self.param,
            "code": str(self.status),
            **self.extra,
        }
        return {"error": inner}

    def response(self) -> Response:
        response = Response(
            orjson.dumps(self.body()), status_code=self.status, media_type="application/json"
        )
        for name, value in self.headers:
            response.headers.append(name, value)
        return response


def _untyped(knobs: LitellmKnobs) -> str | None:
    return None if knobs.typed_errors else "None"


def no_key(knobs: LitellmKnobs) -> ProxyError | UnhandledError:
    if knobs.auth_errors_unhandled:
        return UnhandledError("No api key passed in.")
    return ProxyError(
        "Authentication Error, No api key passed in.", 401, "auth_error", knobs.auth_param
    )


def malformed_key(knobs: LitellmKnobs) -> ProxyError | UnhandledError:
    if knobs.auth_errors_unhandled:
        return UnhandledError("Malformed API Key passed in.")
    return ProxyError(
        "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.",
        401,
        "auth_error",
        knobs.auth_param,
    )


def wrong_key() -> ProxyError:
    # Without a database a key that is not the master key cannot be looked up.
    return ProxyError("No connected db.", 400, "no_db_connection")


def malformed_json(detail: str) -> ProxyError:
    return ProxyError(
        f"Invalid JSON payload: {detail}", 400, "invalid_request_error", "request_body"
    )


def unknown_model_text(route: str, model: object) -> str:
    return (
        f"{route}: Invalid model name passed in model={model}. "
        "Call `/v1/models` to view available models for your key."
    )


def unknown_model(knobs: LitellmKnobs, route: str, model: object) -> ProxyError:
    text = unknown_model_text(route, model)
    if knobs.unknown_model_dict_repr:
        return ProxyError(repr({"error": text}), 400, "None", "None")
    extra = (
        {"provider_specific_fields": {"error": text}} if knobs.unknown_model_provider_fields else {}
    )
    if not knobs.unknown_model_typed:
        return ProxyError(text, 400, "None", "None", extra=extra)
    return ProxyError(text, 400, "invalid_request_error", None, extra=extra)


def missing_messages(knobs: LitellmKnobs, route: str) -> ProxyError:
    if knobs.missing_messages is MissingMessages.ROUTER_500:
        return ProxyError(
            "Router.acompletion() missing 1 required positional argument: 'messages'",
            500,
            "None",
            "None",
        )
    return ProxyError(
        f"{route}: Missing required parameter: 'messages'.",
        400,
        "invalid_request_error",
        "messages",
    )


def received_model_group(text: str, group: str) -> str:
    """1.74's router footer on an error it passes on: the model group, and no fallbacks."""
    return f"{text}. Received Model Group={group}\nAvailable Model Group Fallbacks=None"


def upstream_message(body: str) -> str:
    """The ``message`` of an upstream error body (flat or nested), else the text."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if isinstance(data, dict):
        inner = data.get("error") if isinstance(data.get("error"), dict) else data
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return body


def sdk_message(status: int, body: str) -> str:
    """What an ``openai/`` deployment's chat and completions errors say of the upstream's body:
    the openai SDK's text (openai 3.63.0 _base_client.py:485-505, "Error code: N - <message>"
    with the body's error.message or message), which LiteLLM shows without its "Error code: N
    - " head (seen on 1.110.2 and 1.74.15: "engine died", "Error code: 404" for a body
    without a message)."""
    message = upstream_message(body)
    return f"Error code: {status}" if message == body else message


def short_upstream(deployment: Deployment, status: int, body: str) -> str:
    """``litellm.NotFoundError: NotFoundError: Hosted_vllmException - <message>``."""
    cls = error_class(status)
    return f"litellm.{cls}: {cls}: {deployment.exception_prefix} - {upstream_message(body)}"


def is_content_policy(text: str) -> bool:
    """LiteLLM's test for an OpenAI-compatible upstream's refusal (exception_mapping_utils.py:
    1.110.2 lines 398-402, 1.74.15.post2 lines 364-377), on the error's whole text."""
    return (
        ("invalid_request_error" in text and "content_policy_violation" in text)
        or ("Invalid prompt" in text and "violating our usage policy" in text)
        or "request was rejected as a result of the safety system" in text.lower()
    )


def upstream_error(
    knobs: LitellmKnobs,
    deployment: Deployment,
    status: int,
    body: str,
    label: str | None = None,  # in place of the provider's "Hosted_vllmException"
) -> ProxyError:
    cls = error_class(status)
    # seen on 1.110.2 and 1.74.15: a 400 names its class once, a 5xx or 404 twice
    named = f"{cls}: " if cls != "BadRequestError" else ""
    policy = knobs.content_policy_errors and status == 400 and is_content_policy(body)
    if policy:  # seen on both: the mapped class inside the 400's name
        named = "litellm.ContentPolicyViolationError: ContentPolicyViolationError: "
    prefix = f"litellm.{cls}: {named}{label or deployment.exception_prefix} - "
    group = deployment.model_name
    if knobs.upstream_error_format is UpstreamErrorFormat.RECEIVED_MODEL_GROUP:
        quoted = body if knobs.upstream_error_body else upstream_message(body)
        message = received_model_group(f"{prefix}{quoted}", group)
        error = ProxyError(message, status)
    else:
        message = (
            f"{prefix}{body}\n\nLiteLLM: model group '{group}' failed with the error above. "
            "No fallback was attempted."
        )
        error = ProxyError(message, status, error_type(status))
    error.bare = f"{prefix}{upstream_message(body)}"
    error.content_policy = policy
    return error


def timeout_error(
    knobs: LitellmKnobs, deployment: Deployment, seconds: float, taken: float, stream: bool
) -> ProxyError:
    """A deployment's ``timeout`` (``stream_timeout``) ended the attempt: a 408 whose message
    names the limit and the time taken, then the deployment's timeouts (router conformance,
    run ``timeouts``; 1.110.2 llms/custom_httpx/http_handler.py:650-657 and
    router_rust/invoke/endpoints.py:2444; 1.74.15.post2 llms/openai/openai.py:430-434 and
    router.py:1344-1354)."""

    def shown(value: float | None) -> str:
        return "None" if value is None else str(value)

    if knobs.timeout_wording is TimeoutWording.OPENAI_CLIENT:
        text = (
            "litellm.Timeout: APITimeoutError - Request timed out. Error_str: Request timed out. "
            f"- timeout value={seconds}, time taken={round(taken, 2)} seconds\n\n"
            f"Deployment Info: request_timeout: None\ntimeout: {shown(deployment.timeout)}"
        )
    else:
        if stream:
            head = (
                "litellm.Timeout: APITimeoutError - Request timed out. "
                "Error_str: Timeout on reading data from socket"
            )
        else:
            head = (
                f"litellm.Timeout: Timeout Error: {deployment.exception_prefix} - litellm.Timeout: "
                f"Read timed out. Timeout passed={seconds}, time taken={round(taken, 3)} seconds"
            )
        text = (
            f"{head}\n\nDeployment Info: request_timeout: None\ntimeout: "
            f"{shown(deployment.timeout)}\nstream_timeout: {shown(deployment.stream_timeout)}"
        )
    group = deployment.model_name
    if knobs.upstream_error_format is UpstreamErrorFormat.RECEIVED_MODEL_GROUP:
        message = received_model_group(text, group)
        error = ProxyError(message, 408)
    else:
        message = (
            f"{text}\n\nLiteLLM: model group '{group}' failed with the error above. "
            "No fallback was attempted."
        )
        error = ProxyError(message, 408, error_type(408))
    error.bare = text
    error.timed_out = True
    return error


def bridge_none_content(knobs: LitellmKnobs, deployment: Deployment, call: Any) -> ProxyError:
    """1.74's /v1/responses bridge on an input message with content null (seen: 500)."""
    message = received_model_group(
        f"litellm.APIConnectionError: APIConnectionError: {deployment.exception_prefix} - "
        "Invalid content type: <class 'NoneType'>",
        deployment.model_name,
    )
    error = ProxyError(message, 500)
    error.headers = call.headers(knobs.upstream_error_headers)
    return error


def _python_error(messages: Any) -> str | None:
    """What LiteLLM's own message handling raises for a malformed ``messages`` field (it
    iterates the value and calls ``.get`` on each item)."""
    if isinstance(messages, list):
        items = messages
    elif isinstance(messages, str | dict):
        items = list(messages)  # characters, or keys: strings either way
    elif messages is None:
        return None
    else:
        return f"'{type(messages).__name__}' object is not iterable"
    for item in items:
        if not isinstance(item, dict):
            name = "NoneType" if item is None else type(item).__name__
            return f"'{name}' object has no attribute 'get'"
    return None


def malformed_messages(
    knobs: LitellmKnobs, deployment: Deployment, messages: Any, retries: int
) -> ProxyError | None:
    """The proxy answers a malformed ``messages`` itself, without calling the upstream
    (seen on 1.110.2: a 400 after its retries; on 1.74.15: a 500)."""
    error = _python_error(messages)
    if error is None:
        return None
    head = f"litellm.APIConnectionError: APIConnectionError: {deployment.exception_prefix} - "
    group = deployment.model_name
    if knobs.upstream_error_format is UpstreamErrorFormat.RECEIVED_MODEL_GROUP:
        message = received_model_group(f"{head}{error}", group)
        return ProxyError(message, 500)
    message = (
        f"Invalid request format: {head}{error}\n\nLiteLLM: model group '{group}' failed with "
        f"the error above. No fallback was attempted. LiteLLM Retried: {retries} times, "
        f"LiteLLM Max Retries: {retries}"
    )
    return ProxyError(message, 400, "invalid_request_error")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


NO_DEPLOYMENTS = "No deployments available for selected model"


def cooldown(
    knobs: LitellmKnobs,
    model: str,
    entries: list[tuple[str, str, int, float]],  # (model id, exception, status, timestamp)
    cooldown_time: float,
) -> ProxyError:
    wait = _seconds(cooldown_time)
    head = f"{NO_DEPLOYMENTS}, Try again in {wait} seconds. "
    if knobs.cooldown_list_detail:
        listed = ", ".join(
            f"('{model_id}', {{'exception_received': {exc!r}, 'status_code': '{status}', "
            f"'timestamp': {stamp}, 'cooldown_time': {wait}}})"
            for model_id, exc, status, stamp in entries
        )
        message = f"{head}Passed model={model}. pre-call-checks=False, cooldown_list=[{listed}]"
    else:
        ids = ", ".join(f"'{model_id}'" for model_id, *_ in entries)
        note = "All deployments for selected model are in cooldown. "
        message = (
            f"{head}{note if knobs.cooldown_all_note else ''}Passed model={model}. "
            f"pre-call-checks=False, cooldown_list=[{ids}]"
        )
    headers = [("retry-after", wait)] if knobs.cooldown_retry_after else []
    if knobs.typed_errors:
        return ProxyError(message, 429, "all_deployments_in_cooldown", headers=headers)
    return ProxyError(message, 429, "None", "None", headers=headers)


def detail_response(status: int, headers: Mapping[str, str] | None = None) -> Response:
    body = orjson.dumps({"detail": HTTPStatus(status).phrase})
    return Response(body, status_code=status, media_type="application/json", headers=headers)

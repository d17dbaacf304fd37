"""The proxy's endpoints: auth, model groups, mock answers, and calls through to upstreams."""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from fakes.http.eventstream import EventStreamResponse
from fakes.http.jsonlimit import MAX_DEPTH, TOO_DEEP, too_deep
from fakes.litellm import _bridge_trace, _errors, _estimate, _usage
from fakes.litellm._bodies import MOCK_USAGE, chat_body, mock_body, mock_stream
from fakes.litellm._bridge_stream import bridged_events
from fakes.litellm._bridge_trace import named_chat_choice
from fakes.litellm._completions import completion_body, completion_stream
from fakes.litellm._config import MOCK_TEXT, Deployment
from fakes.litellm._headers import UPSTREAM, CallInfo, stream_extra
from fakes.litellm._keys import Admission
from fakes.litellm._responses import (
    bridged_body,
    bridged_stream,
    chat_request,
    forwarded_body,
    forwarded_request,
    forwarded_stream,
    none_content,
    opened_stream,
)
from fakes.litellm._router import route
from fakes.litellm._router_config import Strategy
from fakes.litellm._state import LitellmState
from fakes.litellm._stream import StreamContext, error_status, relay
from fakes.litellm._upstream import Opened, attempt_upstream, open_upstream, read
from fakes.profiles import LitellmKnobs, ModelField, ResponsesMode
from fakes.types import JSONObject

JSON = "application/json"
EVENT_STREAM = "text/event-stream; charset=utf-8"
MODELS_CREATED = 1677610602  # a fixed "created" on every /v1/models entry
# What LiteLLM's bundled cost map says about a few OpenAI models (mode, input, output).
# LiteLLM's bundled cost map (USD per input, output token) for the mock models it prices
MOCK_PRICES = {"gpt-4o": (2.5e-06, 1e-05)}
KNOWN_MODELS = {"gpt-4o": ("chat", 128000, 16384), "gpt-4o-mini": ("chat", 128000, 16384)}
Answer = Response | EventStreamResponse
_DEPLOYMENT_HEADERS = ("x-litellm-model-id", "x-litellm-model-api-base")


def _state(request: Request) -> LitellmState:
    state: LitellmState = request.app.state.fake
    return state


def _json(body: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    response = Response(orjson.dumps(body), status_code=status, media_type=JSON)
    # as response.headers.append(name, value) does it, in one go
    response.raw_headers.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers or []
    )
    return response


def _stream(
    events: Any, headers: list[tuple[str, str]], knobs: LitellmKnobs | None = None
) -> EventStreamResponse:
    """``knobs`` with ``first_chunk_error_status``: the status is the first frame's error code,
    if it is an error (1.74.15.post2 proxy/common_request_processing.py:96-131)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    status_of = error_status if knobs is not None and knobs.first_chunk_error_status else None
    return EventStreamResponse(
        events,
        headers=[*raw, (b"content-type", EVENT_STREAM.encode())],
        status_of_first=status_of,
    )


def check_key(state: LitellmState, request: Request) -> str | None:
    """The four key headers; with no database only the master key and the config's virtual
    keys (general_settings.llm_fakes_keys) are known. The key sent, None when none is needed."""
    master = state.config.master_key
    if master is None:
        return None
    headers = request.headers
    key = headers.get("x-litellm-api-key") or headers.get("api-key") or headers.get("x-api-key")
    if key is not None:
        key = key.removeprefix("Bearer ").strip()
    elif "authorization" in headers:
        auth = headers["authorization"]
        if not auth.startswith("Bearer "):
            raise _errors.malformed_key(state.knobs)
        key = auth.removeprefix("Bearer ").strip()
    if not key:
        raise _errors.no_key(state.knobs)
    if key in state.config.keys:
        return key
    if not hmac.compare_digest(key.encode(), master.encode()):  # constant time
        raise _errors.wrong_key()
    return key


def _admit(
    state: LitellmState, call: CallInfo, key: str | None, body: JSONObject, model: Any
) -> Admission | None:
    """A virtual key's limits, checked before the call is routed (the limiter is a pre-call
    hook); its 429 names a group of one's deployment where the profile lists model headers
    (seen on 1.110.2: a group of two names none)."""
    limits = state.config.keys.get(key) if key is not None else None
    if key is None or limits is None:
        return None
    call.key_limits = limits
    try:
        return state.keys.admit(state.knobs, key, limits, body)
    except _errors.ProxyError as error:
        group = state.config.group(model) if isinstance(model, str) else ()
        if len(group) == 1:
            call.deployment = group[0]
        error.headers = error.headers + call.headers(state.knobs.key_limit_headers)
        raise


def _settled(state: LitellmState, admission: Admission | None, data: Any) -> list[tuple[str, str]]:
    """A plain answer's tokens counted for its key; the key's x-ratelimit-* headers."""
    if admission is None:
        return []
    usage = data.get("usage") if isinstance(data, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    state.keys.succeeded(state.knobs, admission, total if isinstance(total, int) else 0)
    return state.keys.ratelimit_headers(state.knobs, admission)


def _stream_settles(state: LitellmState, admission: Admission | None, ctx: StreamContext) -> None:
    """A stream's tokens count for its key once it has ended; a failed one frees its slot."""
    if admission is None:
        return

    def ended(tokens: int | None) -> None:
        if tokens is None:
            state.keys.failed(state.knobs, admission)
        else:
            state.keys.succeeded(state.knobs, admission, tokens)

    ctx.on_end = ended


async def _body(request: Request) -> JSONObject:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _errors.malformed_json(str(exc)) from None
    # no deeper than it has brackets: most bodies need no walk
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and too_deep(data):
        raise _errors.malformed_json(TOO_DEEP)
    return data if isinstance(data, dict) else {}


def _routed(state: LitellmState, call: CallInfo, error: _errors.ProxyError) -> _errors.ProxyError:
    error.headers = call.headers(state.knobs.router_error_headers) + error.headers
    return error


def _deployment(
    state: LitellmState, call: CallInfo, model: Any, route: str
) -> tuple[Deployment, ...]:
    group = state.config.group(model) if isinstance(model, str) else ()
    if not group:
        raise _routed(state, call, _errors.unknown_model(state.knobs, route, model))
    return group


def _pick(
    state: LitellmState, call: CallInfo, model: str, group: tuple[Deployment, ...]
) -> Deployment:
    for deployment in group:
        if state.cooling(deployment) is None:
            call.deployment = deployment
            return deployment
    # the router lists every deployment in cooldown, of any model group (litellm 1.110.2
    # router_utils/handle_error.py:85-95 and cooldown_handlers.py:684-697, registry ids;
    # 1.74.15 cooldown_handlers.py:353, get_model_ids())
    entries = [
        (d.model_id, entry.exception, entry.status, entry.timestamp)
        for d in state.config.deployments
        if (entry := state.cooling(d)) is not None
    ]
    error = _errors.cooldown(state.knobs, model, entries, state.config.cooldown_time)
    raise _routed(state, call, error)


def _upstream_chat(knobs: LitellmKnobs, body: JSONObject, model: str) -> JSONObject:
    """The chat body sent upstream. 1.110 drops an empty ``tools`` (and its tool_choice);
    1.74 rebuilds the body: tool_choice before tools (seen in vLLM's echo of a 400)."""
    out = {**body, "model": model}
    if knobs.drop_empty_tools and out.get("tools") == []:
        out.pop("tools")
        out.pop("tool_choice", None)
    if knobs.upstream_body_rebuilt and "tools" in out and "tool_choice" in out:
        tools = out.pop("tools")
        out = {**out, "tools": tools}
    return out


async def chat_completions(request: Request) -> Answer:
    state = _state(request)
    knobs = state.knobs
    call = CallInfo(version=state.version)
    route = "/chat/completions"
    admission: Admission | None = None
    try:
        key = check_key(state, request)
        body = await _body(request)
        model = request.path_params.get("model") or body.get("model")
        admission = _admit(state, call, key, body, model)
        group = _deployment(state, call, model, route)
        if "messages" not in body:
            raise _routed(state, call, _errors.missing_messages(knobs, route))
        routed = state.config.routed and not any(d.answers_itself for d in group)
        deployment = group[0] if routed else _pick(state, call, str(model), group)
        malformed = _errors.malformed_messages(
            knobs, deployment, body["messages"], state.config.num_retries
        )
        if malformed is not None:
            raise malformed
        stream = bool(body.get("stream"))
        given = body.get("stream_options")
        options: JSONObject = given if isinstance(given, dict) else {}
        if routed:
            return await _routed_chat(state, call, str(model), body, stream, options, admission)
        # only a stream uses the context (and its estimate, a tiktoken count of the prompt)
        ctx = StreamContext(
            knobs,
            deployment,
            include_usage=stream and bool(options.get("include_usage")),
            prompt_tokens=_estimate.prompt_tokens(
                body, knobs.estimate_chunk_chars, knobs.estimate_special_tokens_fail
            )
            if stream
            else 0,
        )
        if deployment.answers_itself:
            text = deployment.mock_response or MOCK_TEXT
            if stream:
                if admission is not None:  # its usage is not read here: counted as none
                    state.keys.succeeded(knobs, admission, 0)
                headers = call.headers(knobs.mock_stream_headers) + stream_extra(knobs)
                return _stream(mock_stream(ctx, text), headers)
            prices = MOCK_PRICES.get(deployment.upstream_model)
            if prices is not None:  # seen: a gpt-4o mock answer is priced from the cost map
                usage = MOCK_USAGE
                call.cost = (
                    usage["prompt_tokens"] * prices[0],
                    usage["completion_tokens"] * prices[1],
                )
                call.spend_tracked = knobs.spend_tracked
            mocked = mock_body(knobs, deployment, text)
            limited = _settled(state, admission, mocked)
            return _json(mocked, headers=call.answer_headers(knobs, knobs.mock_headers) + limited)
        upstream_body = _upstream_chat(knobs, body, deployment.upstream_model)
        if stream:
            upstream_body["stream_options"] = {**options, "include_usage": True}
        elif not knobs.upstream_body_rebuilt:
            upstream_body["stream"] = False
        opened = await open_upstream(state, deployment, "/chat/completions", upstream_body, call)
        if stream:
            _stream_settles(state, admission, ctx)
            headers = call.headers(knobs.stream_headers) + stream_extra(knobs)
            return _stream(relay(ctx, opened.response, opened.aclose), headers, knobs)
        data = orjson.loads(await read(opened.response))
        answer = chat_body(knobs, deployment, data)
        if knobs.response_model is ModelField.ALIAS and not body.get("model"):
            # 1.110 re-stamps the model the client sent; with the model only in the path
            # (/engines/{model}/...) the upstream's stays (_override_openai_response_model)
            answer["model"] = data.get("model", answer["model"])
        limited = _settled(state, admission, data)
        return _json(answer, headers=call.answer_headers(knobs, knobs.chat_headers) + limited)
    except _errors.ProxyError as error:
        if admission is not None:
            state.keys.failed(knobs, admission)
        return error.response()


async def _routed_chat(
    state: LitellmState,
    call: CallInfo,
    model: str,
    body: JSONObject,
    stream: bool,
    options: JSONObject,
    admission: Admission | None = None,
) -> Answer:
    """A chat call through the router: deployments, retries, cooldowns, fallbacks."""
    knobs = state.knobs

    async def attempt(deployment: Deployment) -> Opened:
        upstream_body = _upstream_chat(knobs, body, deployment.upstream_model)
        if stream:
            upstream_body["stream_options"] = {**options, "include_usage": True}
        elif not knobs.upstream_body_rebuilt:
            upstream_body["stream"] = False
        return await attempt_upstream(state, deployment, "/chat/completions", upstream_body, call)

    prompt_tokens = _estimate.prompt_tokens(
        body, knobs.estimate_chunk_chars, knobs.estimate_special_tokens_fail
    )
    try:
        opened = await route(state, call, model, attempt, prompt_tokens)
    except _errors.ProxyError as error:
        if error.message.startswith(_errors.NO_DEPLOYMENTS):  # no deployment was called
            error.headers = call.headers(knobs.router_error_headers) + error.headers
        elif error.type == "throttling_error":  # no deployment under its rpm/tpm
            error.headers = error.headers + call.headers(knobs.router_error_headers)
        raise
    deployment = call.deployment
    assert deployment is not None
    ctx = StreamContext(
        knobs,
        deployment,
        include_usage=stream and bool(options.get("include_usage")),
        prompt_tokens=prompt_tokens,
        fallbacks=state.config.router.fallbacks,
    )
    usage_v2 = state.config.router.strategy is Strategy.USAGE_V2
    group = state.config.group(deployment.model_name)
    if usage_v2 and not knobs.usage_headers_count_this_call:  # 1.74: as before this call
        call.ratelimit = _usage.headers(state, group, uncount=deployment)
    if stream:
        if usage_v2:  # counted once the stream has ended (litellm's success callback)
            limit = knobs.stream_tokens_limit
            ctx.on_tokens = lambda tokens: state.fleet.count_tokens(deployment, tokens, limit)
        if usage_v2 and knobs.usage_headers_count_this_call:
            call.ratelimit = _usage.headers(state, group)
        _stream_settles(state, admission, ctx)
        headers = call.headers(knobs.stream_headers) + stream_extra(knobs)
        return _stream(relay(ctx, opened.response, opened.aclose), headers, knobs)
    data = orjson.loads(await read(opened.response))
    if usage_v2:  # tokens count when the deployment answers, before the headers are written
        usage = data.get("usage") if isinstance(data, dict) else None
        total = usage.get("total_tokens") if isinstance(usage, dict) else None
        state.fleet.count_tokens(deployment, total if isinstance(total, int) else 0)
        if knobs.usage_headers_count_this_call:
            call.ratelimit = _usage.headers(state, group)
    answer = chat_body(knobs, deployment, data)
    # seen on 1.110.2: a fallback's answer keeps the upstream's model (1.74: the provider's,
    # as any answer)
    if call.fallbacks and knobs.response_model is ModelField.ALIAS:
        answer["model"] = data.get("model", answer["model"])
    limited = _settled(state, admission, data)
    return _json(answer, headers=call.answer_headers(knobs, knobs.chat_headers) + limited)


async def responses(request: Request) -> Answer:
    state = _state(request)
    knobs = state.knobs
    forward = knobs.responses is ResponsesMode.FORWARD
    timeout = knobs.generic_api_timeout or ("600.0" if forward else "6000.0")
    call = CallInfo(version=state.version, timeout=timeout)
    route = "/responses"
    try:
        check_key(state, request)
        body = await _body(request)
        model = body.get("model")
        group = _deployment(state, call, model, route)
        stream = bool(body.get("stream"))
        if state.config.routed and not any(d.answers_itself for d in group):
            return await _routed_responses(state, call, str(model), body, stream)
        deployment = _pick(state, call, str(model), group)
        no_upstream = [h for h in knobs.chat_headers if h != UPSTREAM]
        bridged = _bridges(knobs, deployment)
        if deployment.answers_itself or bridged:
            chat = chat_request(body, deployment.upstream_model, drop_none=knobs.bridge_drops_none)
            if bridged and none_content(body) and not knobs.bridge_drops_none:
                raise _errors.bridge_none_content(knobs, deployment, call)
            if deployment.answers_itself:
                text = deployment.mock_response or MOCK_TEXT
                answer = mock_body(knobs, deployment, text)
                return _json(
                    bridged_body(knobs, deployment, answer),
                    headers=call.answer_headers(knobs, no_upstream),
                )
            chat["stream"] = stream
            if stream:
                chat["stream_options"] = {"include_usage": True}
            opened = await open_upstream(state, deployment, "/chat/completions", chat, call)
            if stream:
                return await _bridged_stream(knobs, call, deployment, body, chat, opened)
            try:
                data = orjson.loads(await opened.response.aread())
            finally:
                await opened.aclose()
            return _json(
                bridged_body(knobs, deployment, data),
                headers=call.answer_headers(knobs, no_upstream),
            )
        forwarded = forwarded_request(body, deployment.upstream_model)
        try:
            opened = await open_upstream(state, deployment, "/responses", forwarded, call)
        except _errors.ProxyError as error:
            if knobs.responses_upstream_error_headers and error.headers:
                error.headers = call.headers(knobs.responses_upstream_error_headers)
            raise
        if stream:
            began, chunks = await opened_stream(opened.response)
            names = list(knobs.responses_stream_headers or knobs.stream_headers)
            if not began:
                # seen on 1.110 (fake vLLM 0.24, which cut such streams at once): one retry
                # reported, with x-litellm-max-retries and without attempted-fallbacks; a
                # stream that began reports none (seen: vLLM 0.34)
                call.retries = max(call.retries, 1)
                names = [h for h in names if h != "x-litellm-attempted-fallbacks"]
            headers = call.headers(names) + stream_extra(knobs)
            return _stream(forwarded_stream(deployment, knobs, chunks, opened.aclose), headers)
        data = orjson.loads(await read(opened.response))
        names = list(knobs.responses_headers or knobs.chat_headers)
        return _json(
            forwarded_body(knobs, deployment, data), headers=call.answer_headers(knobs, names)
        )
    except _errors.ProxyError as error:
        if knobs.responses_error_version and error.headers:
            error.headers.append(("x-litellm-version", state.version))
        return error.response()


async def _bridged_stream(
    knobs: LitellmKnobs,
    call: CallInfo,
    deployment: Deployment,
    body: JSONObject,
    chat: JSONObject,
    opened: Opened,
) -> Answer:
    """A bridged stream, routed or not: 1.74's deltas and response.completed, read from the
    upstream's chunks without the deployment headers (seen); 1.80's events, read from the
    proxy's own chat stream (``bridge_stream_events``)."""
    if knobs.bridge_stream_headers is not None:
        names = list(knobs.bridge_stream_headers)
    else:
        names = [h for h in knobs.stream_headers if h not in _DEPLOYMENT_HEADERS]
    headers = call.headers(names) + stream_extra(knobs)
    if knobs.bridge_stream_events and named_chat_choice(body.get("tool_choice")):
        # response.created fails its validation before the first event (_bridge_trace)
        await opened.aclose()
        message = _bridge_trace.message(body["tool_choice"])
        return _errors.ProxyError(message, 500, "None", "None", headers=headers).response()
    if not knobs.bridge_stream_events:
        estimate = _estimate.prompt_tokens(chat, None, knobs.estimate_special_tokens_fail)
        events = bridged_stream(knobs, deployment, opened.response, opened.aclose, estimate)
        return _stream(events, headers)
    ctx = StreamContext(
        knobs,
        deployment,
        include_usage=True,  # the bridge always asks (transformation.py:215-224 in 1.80.17)
        prompt_tokens=_estimate.prompt_tokens(
            chat, knobs.estimate_chunk_chars, knobs.estimate_special_tokens_fail
        ),
        model_group_footer=False,
    )
    chat_stream = relay(ctx, opened.response, opened.aclose)
    return _stream(bridged_events(knobs, deployment, body, chat_stream), headers)


def _bridges(knobs: LitellmKnobs, deployment: Deployment) -> bool:
    """1.74 bridges /v1/responses to chat for hosted_vllm/ only: an openai/ deployment gets it
    forwarded, in both release lines (seen: SGLang, Ollama, llama.cpp behind openai/)."""
    return knobs.responses is ResponsesMode.BRIDGE and deployment.provider != "openai"


async def _routed_responses(
    state: LitellmState, call: CallInfo, model: str, body: JSONObject, stream: bool
) -> Answer:
    """/v1/responses through the router: the same deployments, retries, cooldowns and
    fallbacks as a chat call, forwarded (1.110.2) or bridged to chat (1.74); seen in
    recordings/litellm/router-responses-litellm-*.json."""
    knobs = state.knobs
    bridge = knobs.responses is ResponsesMode.BRIDGE
    if bridge and none_content(body) and not knobs.bridge_drops_none:
        group = state.config.group(model)
        raise _errors.bridge_none_content(knobs, group[0], call)

    async def attempt(deployment: Deployment) -> Opened:
        if not _bridges(knobs, deployment):
            sent = forwarded_request(body, deployment.upstream_model)
            return await attempt_upstream(state, deployment, "/responses", sent, call)
        chat = chat_request(body, deployment.upstream_model, drop_none=knobs.bridge_drops_none)
        chat["stream"] = stream
        if stream:
            chat["stream_options"] = {"include_usage": True}
        return await attempt_upstream(state, deployment, "/chat/completions", chat, call)

    try:
        opened = await route(state, call, model, attempt)
    except _errors.ProxyError as error:
        if error.message.startswith(_errors.NO_DEPLOYMENTS):  # no deployment was called
            error.headers = call.headers(knobs.router_error_headers) + error.headers
        raise
    deployment = call.deployment
    assert deployment is not None
    if stream:
        if bridge:
            chat = chat_request(body, deployment.upstream_model, drop_none=knobs.bridge_drops_none)
            return await _bridged_stream(knobs, call, deployment, body, chat, opened)
        headers = call.headers(list(knobs.stream_headers)) + stream_extra(knobs)
        _began, chunks = await opened_stream(opened.response)
        return _stream(forwarded_stream(deployment, knobs, chunks, opened.aclose), headers)
    data = orjson.loads(await read(opened.response))
    if bridge:  # seen on 1.74: the bridge passes on none of the upstream's headers
        names = [h for h in knobs.chat_headers if h != UPSTREAM]
        return _json(
            bridged_body(knobs, deployment, data), headers=call.answer_headers(knobs, names)
        )
    answer = forwarded_body(knobs, deployment, data)
    if call.fallbacks:  # as a routed chat call: a fallback's answer keeps the upstream's model
        answer["model"] = data.get("model", answer["model"])
    return _json(answer, headers=call.answer_headers(knobs, knobs.chat_headers))


async def completions(request: Request) -> Answer:
    state = _state(request)
    knobs = state.knobs
    call = CallInfo(version=state.version)
    try:
        check_key(state, request)
        body = await _body(request)
        model = body.get("model")
        group = _deployment(state, call, model, "/completions")
        stream = bool(body.get("stream"))
        if state.config.routed and not any(d.answers_itself for d in group):

            async def attempt(chosen: Deployment) -> Opened:
                sent = {**body, "model": chosen.upstream_model}
                return await attempt_upstream(state, chosen, "/completions", sent, call)

            try:
                opened = await route(state, call, str(model), attempt)
            except _errors.ProxyError as error:
                if error.message.startswith(_errors.NO_DEPLOYMENTS):
                    # seen on 1.110.2: this route's cooldown 429 carries the call id alone
                    error.headers = call.headers(["x-litellm-call-id"])
                raise
            assert call.deployment is not None
            deployment = call.deployment
        else:
            deployment = _pick(state, call, str(model), group)
            upstream_body = {**body, "model": deployment.upstream_model}
            opened = await open_upstream(state, deployment, "/completions", upstream_body, call)
        if stream:
            headers = call.headers(knobs.completion_stream_headers) + stream_extra(knobs)
            events = completion_stream(knobs, deployment, opened.response, opened.aclose)
            return _stream(events, headers)
        data = orjson.loads(await read(opened.response))
        answer = completion_body(knobs, deployment, data)
        if call.fallbacks and knobs.completions_alias:  # as chat (seen on 1.110.2)
            answer["model"] = data.get("model", answer["model"])
        return _json(answer, headers=call.answer_headers(knobs, knobs.completion_headers))
    except _errors.ProxyError as error:
        return error.response()


async def _max_model_len(state: LitellmState, deployment: Deployment) -> int | None:
    """What LiteLLM learns by asking the upstream's /models (an openai/ deployment's too: seen
    on 1.110.2 with SGLang's max_model_len)."""
    if deployment.model_id in state.max_model_len:
        return state.max_model_len[deployment.model_id]
    if deployment.api_base is None:
        return None
    client = state.client()
    try:
        headers = {"authorization": f"Bearer {deployment.api_key or 'fake-api-key'}"}
        response = await client.get(f"{deployment.api_base}/models", headers=headers)
        cards = response.json().get("data", [])
    except Exception:
        return None
    for card in cards:
        if card.get("id") == deployment.upstream_model and card.get("max_model_len"):
            state.max_model_len[deployment.model_id] = int(card["max_model_len"])
            return state.max_model_len[deployment.model_id]
    return None


async def models(request: Request) -> Response:
    state = _state(request)
    try:
        check_key(state, request)
    except _errors.ProxyError as error:
        return error.response()
    entries = []
    for name in state.config.model_names:
        entry: JSONObject = {
            "id": name,
            "object": "model",
            "created": MODELS_CREATED,
            "owned_by": "openai",
        }
        if state.knobs.models_max_tokens:
            deployment = state.config.group(name)[0]
            known = KNOWN_MODELS.get(deployment.upstream_model)
            limit = await _max_model_len(state, deployment)
            if deployment.provider == "openai" and known is not None:
                mode, inputs, outputs = known
                fields = {"mode": mode, "max_input_tokens": inputs, "max_output_tokens": outputs}
                entry |= {k: v for k, v in fields.items() if k in state.knobs.models_known_fields}
            elif limit is not None:
                entry |= {"max_input_tokens": limit, "max_output_tokens": limit}
        entries.append(entry)
    return _json({"data": entries, "object": "list"})


async def liveliness(request: Request) -> Response:
    return _json("I'm alive!")


async def readiness(request: Request) -> Response:
    state = _state(request)
    body: JSONObject = {"status": "healthy", "db": "Not connected"}
    if state.knobs.readiness_detail:
        body |= {
            "cache": None,
            "litellm_version": state.version,
            "success_callbacks": list(state.knobs.readiness_callbacks),
            "use_aiohttp_transport": True,
        }
    return _json(body)

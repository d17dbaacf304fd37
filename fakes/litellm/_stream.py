"""An upstream chat stream re-framed the way the LiteLLM proxy does it, chunk by chunk."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from fakes.http import sse
from fakes.litellm import _errors, _estimate
from fakes.litellm._config import Deployment
from fakes.litellm._fast_chunk import encode
from fakes.profiles import LitellmKnobs, MidStreamError, ModelField, UpstreamCut, UsageChunk
from fakes.types import JSONObject

DELTA_ORDER = ("content", "reasoning_content", "role", "function_call", "tool_calls")
OLLAMA = "fp_ollama"  # the system_fingerprint of Ollama's OpenAI routes
_STANDARD_CHOICE = ("index", "delta", "logprobs", "finish_reason")
# The vLLM choice keys 1.110 keeps on chunks (litellm 1.110.2 constants.py:705-707,
# VLLM_CHOICE_FIELDS): weight_versions and the like are dropped
VLLM_CHOICE_FIELDS = ("stop_reason", "token_ids")


def provider_model(deployment: Deployment) -> str:
    """The model name LiteLLM reports when it does not use the alias."""
    return deployment.model if deployment.provider == "hosted_vllm" else deployment.upstream_model


def model_name(field: ModelField, deployment: Deployment) -> str:
    return deployment.model_name if field is ModelField.ALIAS else provider_model(deployment)


def clean_tool_call(call: JSONObject) -> JSONObject:
    function = call.get("function") or {}
    cleaned: JSONObject = {}
    if call.get("id"):
        cleaned["id"] = call["id"]
    out_function: JSONObject = {"arguments": function.get("arguments") or ""}
    if function.get("name"):
        out_function["name"] = function["name"]
    cleaned["function"] = out_function
    cleaned["type"] = "function"
    cleaned["index"] = call.get("index", 0)
    return cleaned


def clean_delta(delta: JSONObject) -> JSONObject:
    """Null fields dropped, LiteLLM's key order, tool calls with type and arguments."""
    cleaned: JSONObject = {}
    for key in DELTA_ORDER:
        value = delta.get(key)
        if value is None or (key == "tool_calls" and not value):
            continue
        cleaned[key] = [clean_tool_call(c) for c in value] if key == "tool_calls" else value
    for key, value in delta.items():
        if key not in DELTA_ORDER and value is not None:
            cleaned[key] = value
    return cleaned


def _reasoning(knobs: LitellmKnobs, delta: JSONObject) -> JSONObject:
    """vLLM 0.12+'s ``reasoning`` delta key, renamed (1.110) or lost (1.74)."""
    if "reasoning" not in delta:
        return delta
    delta = dict(delta)
    value = delta.pop("reasoning")
    if knobs.stream_reasoning_key is not None and delta.get("reasoning_content") is None:
        delta[knobs.stream_reasoning_key] = value
    return delta


def _choice_fields(knobs: LitellmKnobs, choice: JSONObject) -> JSONObject:
    """vLLM's own choice keys a content chunk keeps: 1.110 its VLLM_CHOICE_FIELDS, 1.74 only
    a stop string (seen: vLLM 0.34 upstream, the content split from its finish chunk)."""
    if knobs.chunk_stop_reason:
        return {k: v for k, v in choice.items() if k in VLLM_CHOICE_FIELDS}
    stop = choice.get("stop_reason")
    return {} if stop is None else {"stop_reason": stop}


def _content_choice(index: int, delta: JSONObject, extra: JSONObject) -> JSONObject:
    """1.110 puts a stop string that ends a content chunk first (seen: vLLM 0.34 upstream,
    {"stop_reason": "sit", "index": 0, "delta": ..., "token_ids": null}); a null one after."""
    if extra.get("stop_reason") is not None:
        return {"stop_reason": extra["stop_reason"], "index": index, "delta": delta, **extra}
    return {"index": index, "delta": delta, **extra}


def usage_body(knobs: LitellmKnobs, usage: JSONObject, reasoning: int | None = 0) -> JSONObject:
    """``reasoning``: the reasoning tokens 1.110 counts itself (0 for a plain text stream,
    None for one with tool calls and no reasoning, which gets no details at all)."""
    completion = int(usage.get("completion_tokens") or 0)
    prompt = int(usage.get("prompt_tokens") or 0)
    details: JSONObject | None = {"reasoning_tokens": reasoning or 0}  # 1.74 counts it too
    if reasoning is None and not knobs.usage_details_without_reasoning:
        details = None
    if knobs.usage_text_tokens:
        if reasoning is None:
            details = None
        else:
            counted = min(max(0, reasoning), completion)
            details = {"reasoning_tokens": counted, "text_tokens": completion - counted}
    body: JSONObject = {
        "completion_tokens": completion,
        "prompt_tokens": prompt,
        "total_tokens": int(usage.get("total_tokens") or completion + prompt),
    }
    if usage.get("completion_tokens_details"):
        body["completion_tokens_details"] = usage["completion_tokens_details"]
    elif details is not None:
        body["completion_tokens_details"] = details
    if usage.get("prompt_tokens_details"):
        body["prompt_tokens_details"] = usage["prompt_tokens_details"]
    return body


@dataclass
class StreamContext:
    knobs: LitellmKnobs
    deployment: Deployment
    include_usage: bool
    prompt_tokens: int  # the proxy's own estimate, used when the upstream sends no usage
    created: int = field(default_factory=lambda: int(time.time()))
    # told the stream's total tokens once it has ended (the router's usage counters)
    on_tokens: Callable[[int], None] | None = None
    # told once the stream is over: its tokens when it ended well, else None (a key's limits)
    on_end: Callable[[int | None], None] | None = None
    # router_settings.fallbacks, which a 1.74 mid-stream timeout's message lists
    fallbacks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # a mid-stream error names the model group (False: 1.80's /v1/responses bridge)
    model_group_footer: bool = True


class Reframer:
    """Turns upstream chunks into the proxy's chunks; remembers usage and text."""

    def __init__(self, ctx: StreamContext) -> None:
        self.ctx = ctx
        self.id = f"chatcmpl-{uuid.uuid4()}"
        self.usage: JSONObject | None = None
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls = False
        self.role: str | None = None  # a role waiting for the next chunk (1.74)
        self.finish: JSONObject | None = None  # a finish waiting for the next chunk
        self.fingerprint: str | None = None  # the upstream's system_fingerprint, once seen
        self.finished = False  # the upstream sent a finish_reason
        self.original_id: str | None = None  # an Ollama stream's own id, once renamed

    def chunk(self, model: str, choices: list[JSONObject]) -> JSONObject:
        chunk: JSONObject = {
            "id": self.id,
            "created": self.ctx.created,
            "model": model,
            "object": "chat.completion.chunk",
        }
        if self.fingerprint is not None:
            # every chunk made after the upstream sent one carries it (streaming_handler.py
            # model_response_creator, litellm 1.74.15 :629-630; seen on 1.110.2, vLLM 0.34)
            chunk["system_fingerprint"] = self.fingerprint
        chunk["choices"] = choices
        if self.original_id is not None:
            chunk["provider_specific_fields"] = {"original_response_id": self.original_id}
        return chunk

    @property
    def renamed(self) -> bool:
        """1.110 renames an Ollama stream (OllamaResponseIdNormalizer, streaming_handler.py
        :1799-1808 in 1.110.2); the provider fields it adds make every chunk count as content
        (:1127-1132), so the upstream's usage chunk passes on and usage always comes last."""
        return self.original_id is not None

    @property
    def finish_model(self) -> str:
        return model_name(self.ctx.knobs.finish_chunk_model, self.ctx.deployment)

    def _model(self, upstream: JSONObject) -> str:
        """1.74 names the upstream chunk's own model, or the provider model on a chunk that
        carries usage; 1.110 the alias."""
        if self.ctx.knobs.chunk_model is not ModelField.UPSTREAM:
            return model_name(self.ctx.knobs.chunk_model, self.ctx.deployment)
        if upstream.get("usage") or not isinstance(upstream.get("model"), str):
            return provider_model(self.ctx.deployment)
        return str(upstream["model"])

    def flush(self) -> list[JSONObject]:
        """A held finish (1.74), as its own chunk in the provider's name."""
        held, self.finish = self.finish, None
        return [] if held is None else [self.chunk(self.finish_model, [held])]

    def feed(self, upstream: JSONObject) -> list[JSONObject]:
        knobs = self.ctx.knobs
        ollama = knobs.ollama_response_ids and upstream.get("system_fingerprint") == OLLAMA
        if ollama and self.original_id is None:
            self.original_id = str(upstream.get("id"))
        elif isinstance(upstream.get("id"), str) and not self.renamed:
            self.id = upstream["id"]
        if upstream.get("usage"):
            self.usage = upstream["usage"]
        if isinstance(upstream.get("system_fingerprint"), str) and knobs.chunk_fingerprint:
            self.fingerprint = upstream["system_fingerprint"]
        out: list[JSONObject] = []
        model = self._model(upstream)
        choices = upstream.get("choices") or []
        if not choices and not upstream.get("usage"):
            # choices [] or null (a content-filter chunk) passes on with include_usage only,
            # its other keys dropped: as choices [] (1.110) or one empty delta (1.74)
            if not self.ctx.include_usage:
                return []
            shape = knobs.filter_chunk or knobs.usage_chunk
            empty = shape is UsageChunk.EMPTY_CHOICES
            return [self.chunk(model, [] if empty else [{"index": 0, "delta": {}}])]
        if not choices and upstream.get("usage"):
            # 1.74 passes the upstream's usage chunk on as an empty delta, then the held finish
            if self.renamed or (knobs.usage_pre_finish_delta and self.ctx.include_usage):
                out.append(self.chunk(self.finish_model, [{"index": 0, "delta": {}}]))
            return out + self.flush()
        for choice in choices:
            delta = clean_delta(_reasoning(knobs, choice.get("delta") or {}))
            finish = choice.get("finish_reason")
            self.finished |= bool(finish)
            if delta == {"content": ""}:
                # vLLM's EOS step (empty text) ends the proxy's stream as one finish chunk; an
                # empty text alone (Ollama's last chunk before an error) is no chunk at all
                # (seen on 1.110.2 and 1.74.15)
                delta = {}
            index = choice.get("index", 0)
            # 1.110 keeps vLLM's own choice keys on content chunks, stop_reason on the finish
            extra = _choice_fields(knobs, choice)
            finish_extra = (
                {k: v for k, v in extra.items() if k == "stop_reason"}
                if knobs.chunk_stop_reason
                else {}
            )
            if isinstance(delta.get("content"), str):
                self.text.append(delta["content"])
            for key in ("reasoning_content", "reasoning"):
                if isinstance(delta.get(key), str):
                    self.reasoning.append(delta[key])
                    break
            if delta.get("tool_calls"):
                self.tool_calls = True
            if finish == "stop" and self.tool_calls and knobs.stream_tool_calls_finish:
                finish = "tool_calls"
            role_only = (
                "role" in delta
                and not delta.get("content")
                and set(delta)
                <= {
                    "role",
                    "content",
                }
            )
            if role_only and not knobs.empty_role_chunk:
                self.role = delta["role"]
                delta = {}
            elif self.role is not None and delta:
                delta = clean_delta({**delta, "role": self.role})
                self.role = None
            if delta:
                if finish and knobs.tool_split_role and "tool_calls" in delta:
                    delta = clean_delta({**delta, "role": delta.get("role", "assistant")})
                out.append(self.chunk(model, [_content_choice(index, delta, extra)]))
            if finish:
                finish_choice = {
                    "finish_reason": finish,
                    "index": index,
                    "delta": {},
                    **finish_extra,
                }
                if delta and knobs.hold_split_finish:
                    self.finish = finish_choice  # sent after the next chunk, or at the end
                elif delta or knobs.chunk_model is not ModelField.UPSTREAM:
                    out.append(self.chunk(self.finish_model, [finish_choice]))
                else:  # 1.74: the upstream's own finish chunk keeps its model
                    out.append(self.chunk(model, [finish_choice]))
        return out

    def estimated_usage(self) -> JSONObject:
        """The proxy's own count of the prompt and of the text it streamed."""
        text = "".join(self.text)
        completion = _estimate.completion_tokens(text, self.ctx.knobs.estimate_chunk_chars)
        return {
            "prompt_tokens": self.ctx.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.ctx.prompt_tokens + completion,
        }

    def counted_tokens(self) -> int:
        """What the router counts for this stream: the upstream's usage, or (1.74, a client
        that asked for none) the proxy's own estimate."""
        usage = self.usage
        if usage is None or (self.ctx.knobs.stream_tokens_estimated and not self.ctx.include_usage):
            usage = self.estimated_usage()
        total = usage.get("total_tokens")
        return total if isinstance(total, int) else 0

    def usage_chunk(self) -> JSONObject:
        usage = self.usage
        if usage is None:  # the proxy estimates what the upstream did not report
            usage = self.estimated_usage()
        knobs = self.ctx.knobs
        empty = knobs.usage_chunk is UsageChunk.EMPTY_CHOICES and self.ctx.include_usage
        choices: list[JSONObject] = [] if empty else [{"index": 0, "delta": {}}]
        chunk = self.chunk(self.finish_model, choices)
        chunk["usage"] = usage_body(knobs, usage, self.reasoning_tokens())
        return chunk

    def reasoning_tokens(self) -> int | None:
        """What 1.110's stream builder counts: 0 for plain text, else the reasoning text's
        tokens, or None (no details) when there is none."""
        if not self.reasoning and not self.tool_calls:
            return 0
        if not self.reasoning:
            return None
        return _estimate.count("".join(self.reasoning), self.ctx.knobs.estimate_chunk_chars)

    def invented_stop(self) -> JSONObject:
        return self.chunk(self.finish_model, [{"finish_reason": "stop", "index": 0, "delta": {}}])


def mid_stream_error(ctx: StreamContext, error: Any) -> _errors.ProxyError:
    inner = error if isinstance(error, dict) else {"message": str(error)}
    message = str(inner.get("message", ""))
    try:
        status = int(inner.get("code") or 500)
    except (TypeError, ValueError):
        status = 500
    deployment = ctx.deployment
    if ctx.knobs.mid_stream_error is MidStreamError.FALLBACK_503_NO_DONE:
        text = (
            "litellm.ServiceUnavailableError: litellm.MidStreamFallbackError: "
            f"litellm.APIConnectionError: APIConnectionError: OpenAIException - {message}"
        )
        if ctx.model_group_footer:
            text = _errors.received_model_group(text, deployment.model_name)
        return _errors.ProxyError(text, 503)
    # an openai/ deployment reads the stream through the openai SDK, whose error for an error
    # frame LiteLLM maps to APIConnectionError (seen on 1.110.2, SGLang, Ollama, llama.cpp)
    sdk = deployment.provider == "openai"
    cls = "APIConnectionError" if sdk else _errors.error_class(status)
    text = f"litellm.{cls}: {cls}: {deployment.exception_prefix} - {message}"
    return _errors.ProxyError(text, status, _errors.error_type(status))


def null_choices_error(ctx: StreamContext) -> _errors.ProxyError:
    """1.90's chunk parser iterates a chunk's choices, None included (litellm 1.90.7
    llms/openai/chat/gpt_transformation.py:839-848): the TypeError ends the stream as a
    MidStreamFallbackError, untyped (seen: vLLM 0.9 and 0.34 upstreams, choices null)."""
    text = _errors.received_model_group(
        "litellm.MidStreamFallbackError: litellm.APIConnectionError: APIConnectionError: "
        f"{ctx.deployment.exception_prefix} - 'NoneType' object is not iterable",
        ctx.deployment.model_name,
    )
    return _errors.ProxyError(text, 500)


def unfinished_error(ctx: StreamContext) -> _errors.ProxyError:
    """An openai/ stream that closed cleanly without a finish_reason or [DONE]: the openai SDK
    path's complaint (seen on 1.110.2, Ollama's stream after an error)."""
    text = (
        "litellm.APIConnectionError: APIConnectionError: "
        f"{ctx.deployment.exception_prefix} - Stream ended before a finish_reason was received"
    )
    return _errors.ProxyError(text, 500, "internal_server_error")


def cut_error(ctx: StreamContext) -> _errors.ProxyError:
    # the openai SDK's own words for a cut (openai/ deployments), else aiohttp's
    sdk = ctx.deployment.provider == "openai"
    text = (
        "litellm.APIConnectionError: APIConnectionError: "
        f"{ctx.deployment.exception_prefix} - "
        f"{'Connection error.' if sdk else _errors.CUT_MESSAGE}"
    )
    return _errors.ProxyError(text, 500, "internal_server_error")


def timeout_frame(ctx: StreamContext) -> _errors.ProxyError:
    """1.74: the deployment's stream_timeout ran out while the stream was read (the attempt
    had returned at its headers): a MidStreamFallbackError, 503 (seen, router conformance,
    timeouts). With fallbacks configured elsewhere, the router's note twice, the second time
    with the exception's "Original exception" (1.74.15.post2 router.py:3806-3851)."""
    timed_out = (
        "litellm.Timeout: APITimeoutError - Request timed out. Error_str: Request timed out."
    )
    bare = f"litellm.ServiceUnavailableError: litellm.MidStreamFallbackError: {timed_out}"
    group = ctx.deployment.model_name
    if ctx.fallbacks and group not in ctx.fallbacks and ctx.knobs.no_fallback_note:
        listed = ", ".join(f"{{{g!r}: {list(t)!r}}}" for g, t in ctx.fallbacks.items())
        bare += f"No fallback model group found for original model_group={group}. "
        bare += f"Fallbacks=[{listed}]"
        text = (
            f"{_errors.received_model_group(bare, group)}\n"
            f"Error doing the fallback: {bare} Original exception: Timeout: {timed_out}"
        )
    else:
        text = _errors.received_model_group(bare, group)
    return _errors.ProxyError(text, 503)


def error_status(event: bytes) -> int | None:
    """The code of an error frame (``data: {"error": {..., "code": "503"}}``), else None."""
    if not event.startswith(b"data:"):
        return None
    try:
        data = orjson.loads(event[5:].strip())
    except orjson.JSONDecodeError:
        return None
    inner = data.get("error") if isinstance(data, dict) else None
    try:
        return int(inner["code"]) if isinstance(inner, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


CLOSED = ""  # the upstream closed its stream cleanly, without [DONE]
TIMED_OUT = "timed out"  # the read timeout (a deployment's stream_timeout) ran out


async def _upstream_events(response: httpx.Response) -> AsyncGenerator[str | None, None]:
    """Data payloads as they arrive; ``None`` last if the connection was cut, CLOSED if it
    ended cleanly."""
    try:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                yield line[5:].strip()
    except httpx.TimeoutException:
        yield TIMED_OUT
    except httpx.HTTPError:
        yield None
    else:
        yield CLOSED


async def relay(
    ctx: StreamContext,
    response: httpx.Response,
    close: Callable[[], Any],
) -> AsyncGenerator[bytes, None]:
    """The proxy's stream for an open upstream stream; closes the upstream at the end."""
    knobs = ctx.knobs
    reframer = Reframer(ctx)
    held: bytes | None = None
    ending: str = "cut"
    error: Any = None
    unfinished = False  # an error frame was read as a chunk (READ_AS_CHUNK)
    try:
        events = _upstream_events(response)
        async for payload in events:
            if payload is None:
                break
            if payload == CLOSED:
                ending = "closed"
                break
            if payload == TIMED_OUT:
                ending = "timeout"
                break
            if payload == "[DONE]":
                ending = "done"
                break
            try:
                data = orjson.loads(payload)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(data, dict):
                continue
            if "error" in data and knobs.mid_stream_error is MidStreamError.READ_AS_CHUNK:
                # 1.90 reads vLLM's error frame as a chunk: no id (a fresh one from here on)
                # and no choices (seen on 1.90.7, vLLM 0.9 and 0.34 upstreams)
                reframer.id = f"chatcmpl-{uuid.uuid4()}"
                unfinished = True  # ... and ends with a "stop" of its own
                if ctx.include_usage:
                    yield encode(reframer.chunk(reframer.finish_model, []), True)
                continue
            if "error" in data:
                ending, error = "error", data["error"]
                break
            if knobs.null_choices_error and "choices" in data and data["choices"] is None:
                ending = "null_choices"
                break
            for chunk in reframer.feed(data):
                encoded = encode(chunk, knobs.chunk_fast_serializer)
                if knobs.holds_one_chunk:
                    if held is not None:
                        yield held
                    held = encoded
                else:
                    yield encoded
        await events.aclose()
        if ending == "done":
            if held is not None:
                yield held
            for chunk in reframer.flush():
                yield encode(chunk, knobs.chunk_fast_serializer)
            if unfinished and not reframer.finished:
                yield encode(reframer.invented_stop(), knobs.chunk_fast_serializer)
            if ctx.include_usage or reframer.renamed:
                yield sse.data(reframer.usage_chunk())
            yield sse.DONE
            if ctx.on_tokens is not None:  # the success callback: a stream that ended well
                ctx.on_tokens(reframer.counted_tokens())
        elif ending == "timeout" and knobs.stream_timeout_in_stream:
            if held is not None:
                yield held
            yield sse.event(sse.spaced(timeout_frame(ctx).body()))
        elif ending == "null_choices":
            if held is not None:
                yield held
            yield sse.event(sse.spaced(null_choices_error(ctx).body()))
        elif ending == "error":
            if held is not None:
                yield held
            # LiteLLM writes error frames with json.dumps: spaced, unlike its chunks.
            yield sse.event(sse.spaced(mid_stream_error(ctx, error).body()))
            if knobs.mid_stream_error is MidStreamError.INTERNAL_ERROR_THEN_DONE:
                yield sse.DONE
        elif knobs.upstream_cut is UpstreamCut.ERROR_FRAME:
            if held is not None:
                yield held
            unfinished = ending == "closed" and ctx.deployment.provider == "openai"
            frame = unfinished_error(ctx) if unfinished else cut_error(ctx)
            yield sse.event(sse.spaced(frame.body()))
            yield sse.DONE
        else:
            # 1.74's transport swallows the cut (litellm 1.74.15 llms/custom_httpx/
            # aiohttp_transport.py:88-94): the stream ends as a natural one, "stop" if the
            # upstream had not finished, with the estimated usage (seen: vLLM 0.9 and 0.34)
            if held is not None:
                yield held
            for chunk in reframer.flush():
                yield encode(chunk, knobs.chunk_fast_serializer)
            if not reframer.finished:
                yield encode(reframer.invented_stop(), knobs.chunk_fast_serializer)
            if ctx.include_usage:
                yield sse.data(reframer.usage_chunk())
            yield sse.DONE
    finally:
        if ctx.on_end is not None:
            ctx.on_end(reframer.counted_tokens() if ending == "done" else None)
        await close()

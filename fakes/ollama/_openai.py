"""The OpenAI-compatible layer's bodies and chunks (openai/openai.go, middleware/openai.go):
the native responses of one generation, rewritten as the release's writers do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fakes.model import tokens
from fakes.ollama._gojson import dumps, encode
from fakes.ollama._reply import Generation, ToolCall, call_text
from fakes.profiles._ollama import OllamaKnobs, StreamTools

FINGERPRINT = "fp_ollama"  # openai/openai.go: every body and chunk
DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class Native:
    """One response the handler writes (api.ChatResponse), before the openai layer."""

    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    done: bool = False
    done_reason: str = ""


def error_body(knobs: OllamaKnobs, status: int, message: str, *, middleware: bool) -> bytes:
    """openai.NewError: 400 invalid_request_error, 404 not_found_error, else api_error. The
    handler's own errors were re-encoded as if 500 before 0.18 (api_error whatever the status);
    the middleware's 400s always used their status."""
    code = status if middleware or knobs.error_type_by_status else 500
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(code, "api_error")
    return encode({"error": {"message": message, "type": kind, "param": None, "code": None}})


def _tool_calls(knobs: OllamaKnobs, calls: tuple[ToolCall, ...] | list[ToolCall]) -> list[Any]:
    out = []
    for position, call in enumerate(calls):
        item: dict[str, Any] = {"id": call.id}
        if knobs.tool_call_index:
            item["index"] = position
        item["type"] = "function"
        item["function"] = {"name": call.name, "arguments": call.arguments_json}
        out.append(item)
    return out


def chat_body(
    knobs: OllamaKnobs, gen: Generation, *, chat_id: str, model: str, created: int
) -> bytes:
    calls = _tool_calls(knobs, gen.tool_calls)
    message: dict[str, Any] = {"role": "assistant", "content": "" if calls else gen.text}
    if calls:
        message["tool_calls"] = calls
    reason = gen.done_reason
    if calls and reason == "stop":
        reason = "tool_calls"
    return encode(
        {
            "id": chat_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"index": 0, "message": message, "finish_reason": reason or None}],
            "usage": _usage(gen),
        }
    )


def _usage(gen: Generation) -> dict[str, int]:
    return {
        "prompt_tokens": gen.prompt_eval_count,
        "completion_tokens": gen.eval_count,
        "total_tokens": gen.prompt_eval_count + gen.eval_count,
    }


def native_stream(knobs: OllamaKnobs, gen: Generation, *, tools: bool) -> list[Native]:
    """What ChatHandler sends down its channel for a streamed request."""
    if not tools or knobs.stream_tools is StreamTools.TEXT:
        # 0.3.x parses tool calls only without streaming: the call text streams as content
        pieces = gen.pieces if not gen.tool_calls else _with_call_text(gen)
        return [*(Native(p) for p in pieces), Native("", done=True, done_reason=gen.done_reason)]
    if knobs.stream_tools is StreamTools.HELD:
        if gen.tool_calls:
            return [
                Native("", tuple(gen.tool_calls)),
                Native("", done=True, done_reason=gen.done_reason),
            ]
        return [Native(gen.text, done=True, done_reason=gen.done_reason)]
    out = [Native(p) for p in gen.pieces]
    out.extend(Native("", (call,)) for call in gen.tool_calls)
    out.append(Native("", done=True, done_reason=gen.done_reason))
    return out


def _with_call_text(gen: Generation) -> list[str]:
    return gen.pieces + tokens.tokenize("".join(call_text(c) for c in gen.tool_calls))


class ChatStream:
    """middleware ChatWriter: one native response in, its SSE frames out."""

    def __init__(
        self, knobs: OllamaKnobs, *, chat_id: str, model: str, created: int, usage: bool
    ) -> None:
        self.knobs = knobs
        self.chat_id = chat_id
        self.model = model
        self.created = created
        self.usage = usage and knobs.stream_usage
        self.tool_call_sent = False
        self.first_sent = False
        self._index = 0  # tool calls streamed so far (0.4.7+ Function.Index)

    def _chunk(self, choices: list[Any], model: str | None = None) -> dict[str, Any]:
        return {
            "id": self.chat_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model if model is None else model,
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        }

    def _calls(self, calls: tuple[ToolCall, ...]) -> list[Any]:
        rendered = _tool_calls(self.knobs, calls)
        if self.knobs.tool_call_index:
            for item in rendered:
                item["index"] = self._index
                self._index += 1
        return rendered

    def frames(self, native: Native, usage: dict[str, int] | None = None) -> list[bytes]:
        if self.knobs.finish_chunk:
            return self._frames_openai_layout(native, usage)
        delta: dict[str, Any] = {"role": "assistant", "content": native.content}
        if native.tool_calls:
            delta["tool_calls"] = self._calls(native.tool_calls)
        reason: str | None = native.done_reason or None
        if reason is not None and self.tool_call_sent and self.knobs.stream_tool_finish:
            reason = "tool_calls"
        chunk = self._chunk([{"index": 0, "delta": delta, "finish_reason": reason}])
        if native.tool_calls:
            self.tool_call_sent = True
        out = [_data(chunk)]
        if native.done:
            if self.usage and usage is not None:
                out.append(_data({**chunk, "choices": [], "usage": usage}))
            out.append(DONE)
        return out

    def _frames_openai_layout(self, native: Native, usage: dict[str, int] | None) -> list[bytes]:
        out: list[bytes] = []
        empty_trailer = native.done and self.first_sent and not native.content
        empty_trailer = empty_trailer and not native.tool_calls
        if not empty_trailer:
            delta: dict[str, Any] = {}
            if not self.first_sent:
                delta["role"] = "assistant"
            delta["content"] = native.content  # "" is kept: an interface holding ""
            if native.tool_calls:
                delta["tool_calls"] = self._calls(native.tool_calls)
                self.tool_call_sent = True
            out.append(_data(self._chunk([{"index": 0, "delta": delta, "finish_reason": None}])))
            self.first_sent = True
        if native.done:
            reason = native.done_reason or "stop"
            if reason == "stop" and self.tool_call_sent:
                reason = "tool_calls"
            finish = self._chunk([{"index": 0, "delta": {}, "finish_reason": reason}])
            out.append(_data(finish))
            if self.usage and usage is not None:
                out.append(_data({**finish, "choices": [], "usage": usage}))
            out.append(DONE)
        return out

    def error_frames(self) -> list[bytes]:
        """A handler error after the 200: {"error": ...} is unmarshalled as an empty
        ChatResponse and written as an empty chunk (model ""); the message is lost and the
        stream ends without [DONE]."""
        if self.knobs.finish_chunk:
            delta: dict[str, Any] = {} if self.first_sent else {"role": "assistant"}
            delta["content"] = ""
        else:
            delta = {"role": "assistant", "content": ""}
        return [_data(self._chunk([{"index": 0, "delta": delta, "finish_reason": None}], ""))]


def usage_of(gen: Generation) -> dict[str, int]:
    return _usage(gen)


def _data(payload: dict[str, Any]) -> bytes:
    return f"data: {dumps(payload)}\n\n".encode()


# /v1/completions (CompleteWriter): "choices" come before "model" in CompletionChunk.


def completion_body(gen: Generation, *, cmpl_id: str, model: str, created: int) -> bytes:
    return encode(
        {
            "id": cmpl_id,
            "object": "text_completion",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{"text": gen.text, "index": 0, "finish_reason": gen.done_reason or None}],
            "usage": _usage(gen),
        }
    )


def completion_frames(
    knobs: OllamaKnobs, gen: Generation, *, cmpl_id: str, model: str, created: int, usage: bool
) -> list[bytes]:
    usage = usage and knobs.stream_usage
    natives = [(p, "") for p in gen.pieces] + [("", gen.done_reason)]
    out: list[bytes] = []
    chunk: dict[str, Any] = {}
    for text, reason in natives:
        chunk = {
            "id": cmpl_id,
            "object": "text_completion",
            "created": created,
            "choices": [{"text": text, "index": 0, "finish_reason": reason or None}],
            "model": model,
            "system_fingerprint": FINGERPRINT,
        }
        if usage:  # 0.5.2: c.Usage = &Usage{} on every chunk while include_usage is set
            chunk["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        out.append(_data(chunk))
    if usage:
        out.append(_data({**chunk, "choices": [], "usage": _usage(gen)}))
    out.append(DONE)
    return out


def models_body(names: list[str], created: int) -> bytes:
    """ListMiddleware over /api/tags: owned_by is the name's namespace ("library")."""
    data = [{"id": n, "object": "model", "created": created, "owned_by": "library"} for n in names]
    return encode({"object": "list", "data": data})


def model_body(name: str, created: int) -> bytes:
    return encode({"id": name, "object": "model", "created": created, "owned_by": "library"})

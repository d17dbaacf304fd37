"""``/v1/responses`` by release: forwarded to the upstream (1.110) or bridged to a chat call
and converted back (1.74)."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx
import orjson

from fakes import sse, tokens
from fakes.litellm._config import Deployment
from fakes.litellm._errors import CUT_MESSAGE
from fakes.litellm._stream import provider_model
from fakes.types import JSONObject


def chat_request(body: JSONObject, upstream_model: str) -> JSONObject:
    """The chat request a Responses request becomes."""
    messages: list[JSONObject] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    given = body.get("input")
    if isinstance(given, str):
        messages.append({"role": "user", "content": given})
    elif isinstance(given, list):
        for item in given:
            if isinstance(item, dict) and "role" in item:
                messages.append(
                    {"role": item["role"], "content": tokens.text_of(item.get("content"))}
                )
    chat: JSONObject = {"model": upstream_model, "messages": messages}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("temperature") is not None:
        chat["temperature"] = body["temperature"]
    return chat


def _response_id(deployment: Deployment, chat_id: str) -> str:
    raw = (
        f"litellm:custom_llm_provider:{deployment.provider};model_id:{deployment.model_id};"
        f"response_id:{chat_id}"
    )
    return "resp_" + base64.b64encode(raw.encode()).decode()


def _output(chat_id: str, finish: Any, text: str) -> list[JSONObject]:
    return [
        {
            "type": "message",
            "id": chat_id,
            "status": finish,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]


def bridged_body(deployment: Deployment, chat: JSONObject) -> JSONObject:
    choice = (chat.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = chat.get("usage") or {}
    chat_id = str(chat.get("id", ""))
    return {
        "id": _response_id(deployment, chat_id),
        "created_at": int(time.time()),
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": None,
        "model": provider_model(deployment),
        "object": "chat.completion",
        "output": _output(chat_id, choice.get("finish_reason"), message.get("content") or ""),
        "parallel_tool_calls": False,
        "temperature": 0.0,
        "tool_choice": "auto",
        "tools": [],
        "top_p": None,
        "max_output_tokens": None,
        "previous_response_id": None,
        "reasoning": {},
        "status": "completed",
        "text": {"format": None, "verbosity": None},
        "truncation": None,
        "usage": {
            "input_tokens": usage.get("prompt_tokens", 0),
            "input_tokens_details": None,
            "output_tokens": usage.get("completion_tokens", 0),
            "output_tokens_details": None,
            "total_tokens": usage.get("total_tokens", 0),
        },
        "user": None,
        "store": None,
    }


async def bridged_stream(
    deployment: Deployment, response: httpx.Response, close: Callable[[], Any]
) -> AsyncGenerator[bytes, None]:
    """Chat chunks become ``response.output_text.delta`` events, then ``response.completed``."""
    chat_id, finish = "", None
    text: list[str] = []
    usage: JSONObject = {}
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            try:
                chunk = orjson.loads(line[5:].strip())
            except orjson.JSONDecodeError:
                continue
            chat_id = chunk.get("id", chat_id)
            usage = chunk.get("usage") or usage
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                finish = choice.get("finish_reason") or finish
                if piece:
                    text.append(piece)
                    event = {
                        "type": "response.output_text.delta",
                        "item_id": chat_id,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": piece,
                    }
                    yield sse.data(event)
    except httpx.HTTPError:
        pass
    finally:
        await close()
    completed = {
        "type": "response.completed",
        "response": {
            "id": chat_id,
            "created_at": int(time.time()),
            "metadata": {},
            "model": deployment.model_name,
            "object": "chat.completion",
            "output": _output(chat_id, finish, "".join(text)),
            "parallel_tool_calls": False,
            "temperature": 0.0,
            "tool_choice": "auto",
            "tools": [],
            "reasoning": {},
            "status": "completed",
            "text": {},
            "usage": {
                "input_tokens": usage.get("prompt_tokens", 0),
                "output_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        },
    }
    yield sse.data(completed)
    yield sse.DONE


def forwarded_body(deployment: Deployment, upstream: JSONObject) -> JSONObject:
    """1.110 re-encodes the upstream's id and reports the alias."""
    body = dict(upstream)
    body["id"] = _response_id(deployment, str(upstream.get("id", "")))
    body["model"] = deployment.model_name
    return body


async def forwarded_stream(
    response: httpx.Response, close: Callable[[], Any]
) -> AsyncGenerator[bytes, None]:
    """Upstream Responses events pass through as they arrive; a cut becomes
    ``response.failed`` (seen on 1.110 in front of vLLM 0.12, which cuts such streams)."""
    try:
        async for part in response.aiter_raw():
            yield part
    except httpx.HTTPError:
        failed = {
            "type": "response.failed",
            "response": {
                "id": f"resp_{uuid.uuid4().hex}",
                "created_at": int(time.time()),
                "error": {"code": "server_error", "message": CUT_MESSAGE},
                "object": "response",
                "output": [],
                "status": "failed",
            },
            "sequence_number": 0,
        }
        yield sse.event(sse.compact(failed), fields=[("event", "response.failed")])
    finally:
        await close()

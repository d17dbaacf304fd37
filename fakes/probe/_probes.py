"""The fixed probe set: what each probe sends and which knobs it measures.

Every probe is data (method, path, body, headers); ``$MODEL`` stands for the model name.
Small prompts, ``max_tokens`` at most 64, the ``/v1/responses`` probes last (through a
LiteLLM proxy an upstream 404 there cools the model down).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fakes.probe._client import Exchange, ProbeClient
from fakes.probe._errors import check_chat, check_openai, listed_models

MODEL = "$MODEL"
NO_SUCH_MODEL = "llm-fakes-probe-no-such-model"
REQUEST_ID = "llmfakesprobe0123456789"
MESSAGES = [{"role": "user", "content": "Say hi."}]
TOOL = {
    "type": "function",
    "function": {
        "name": "probe_echo",
        "description": "Echo one word.",
        "parameters": {
            "type": "object",
            "properties": {"word": {"type": "string"}},
            "required": ["word"],
        },
    },
}
NAMED = {"type": "function", "function": {"name": "probe_echo"}}


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": MESSAGES, "max_tokens": 8, **extra}


def _tools(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": MESSAGES, "max_tokens": 64, "tools": [TOOL], **extra}


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    path: str
    measures: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: bool = True  # send the --api-key
    when: str = ""  # a condition (see ``_wanted``); empty: always


PROBES: tuple[Probe, ...] = (
    Probe("health", "GET", "/health", "/health open without a key", auth=False),
    Probe("version", "GET", "/version", "/version route"),
    Probe("models", "GET", "/v1/models", "model name, model card keys, owned_by"),
    Probe(
        "tokenize",
        "POST",
        "/tokenize",
        "/tokenize route",
        {"model": MODEL, "prompt": "hi"},
    ),
    Probe(
        "chat",
        "POST",
        "/v1/chat/completions",
        "id prefix and hex length, body/choice/message/usage keys, empty tool_calls, headers",
        _chat(),
    ),
    Probe(
        "chat-request-id",
        "POST",
        "/v1/chat/completions",
        "X-Request-Id becomes the id suffix",
        _chat(),
        {"x-request-id": REQUEST_ID},
    ),
    Probe(
        "stream",
        "POST",
        "/v1/chat/completions",
        "role chunk, null keys on chunks and deltas, finish chunk, usage without asking",
        _chat(stream=True),
    ),
    Probe(
        "stream-usage",
        "POST",
        "/v1/chat/completions",
        "stream_options accepted, usage chunk, usage:null on chunks, continuous by default",
        _chat(stream=True, stream_options={"include_usage": True}),
    ),
    Probe(
        "stream-options-empty",
        "POST",
        "/v1/chat/completions",
        "stream_options: {} turns usage on or not",
        _chat(stream=True, stream_options={}),
    ),
    Probe(
        "stream-continuous",
        "POST",
        "/v1/chat/completions",
        "continuous_usage_stats: per chunk, cumulative or unsupported",
        _chat(stream=True, stream_options={"include_usage": True, "continuous_usage_stats": True}),
    ),
    Probe(
        "stream-options-no-stream",
        "POST",
        "/v1/chat/completions",
        "stream_options without stream: the 400 message",
        _chat(stream_options={"include_usage": True}),
    ),
    Probe(
        "unknown-field",
        "POST",
        "/v1/chat/completions",
        "unknown request fields rejected or ignored",
        _chat(llm_fakes_probe_unknown_field=True),
    ),
    Probe(
        "invalid",
        "POST",
        "/v1/chat/completions",
        "validation error: status, flat or nested body, type, message style",
        {"model": MODEL, "messages": "not a list", "max_tokens": 8},
    ),
    Probe(
        "unknown-model",
        "POST",
        "/v1/chat/completions",
        "unknown model: status, param, message",
        {"model": NO_SUCH_MODEL, "messages": MESSAGES, "max_tokens": 8},
    ),
    Probe(
        "no-model",
        "POST",
        "/v1/chat/completions",
        "model field required or optional",
        {"messages": MESSAGES, "max_tokens": 8},
    ),
    Probe(
        "text-plain",
        "POST",
        "/v1/chat/completions",
        "a JSON body sent as text/plain: parsed or refused",
        _chat(),
        {"content-type": "text/plain"},
    ),
    Probe(
        "completions",
        "POST",
        "/v1/completions",
        "completion id prefix, body and choice keys",
        {"model": MODEL, "prompt": "Say hi.", "max_tokens": 8},
    ),
    Probe(
        "completions-stream",
        "POST",
        "/v1/completions",
        "completion chunk keys and null keys",
        {"model": MODEL, "prompt": "Say hi.", "max_tokens": 8, "stream": True},
    ),
    Probe(
        "tool-named",
        "POST",
        "/v1/chat/completions",
        "tools known at all, tool call id prefix, message keys with a tool call",
        _tools(tool_choice=NAMED),
    ),
    Probe(
        "tool-named-stream",
        "POST",
        "/v1/chat/completions",
        "tool-call delta style, last fragment on the finish chunk",
        _tools(tool_choice=NAMED, stream=True),
    ),
    Probe(
        "tool-none",
        "POST",
        "/v1/chat/completions",
        'tool_choice "none"',
        _tools(tool_choice="none"),
    ),
    Probe(
        "tool-auto",
        "POST",
        "/v1/chat/completions",
        'tool_choice "auto": accepted, needs the server flags',
        _tools(tool_choice="auto"),
    ),
    Probe(
        "tool-required",
        "POST",
        "/v1/chat/completions",
        'tool_choice "required"',
        _tools(tool_choice="required"),
    ),
    Probe(
        "tools-default",
        "POST",
        "/v1/chat/completions",
        "tools without tool_choice mean auto",
        _tools(),
    ),
    Probe(
        "tools-empty",
        "POST",
        "/v1/chat/completions",
        '"tools": [] with tool_choice "required": set, rejected (0.20) or dropped (0.34)',
        _tools(tools=[], tool_choice="required"),
    ),
    Probe(
        "second-model",
        "POST",
        "/v1/chat/completions",
        "the model field echoes the requested name (needs two served names)",
        _chat(),
        when="second-model",
    ),
    Probe("auth-missing", "GET", "/v1/models", "401 body without a key", auth=False, when="key"),
    Probe("auth-v2", "GET", "/v2/models", "/v2 guarded by the key", auth=False, when="key"),
    Probe(
        "auth-inference",
        "GET",
        "/inference/v1/models",
        "/inference guarded by the key",
        auth=False,
        when="key",
    ),
    Probe(
        "auth-cohere",
        "GET",
        "/cohere/v2/models",
        "/cohere guarded by the key",
        auth=False,
        when="key",
    ),
    Probe(
        "responses",
        "POST",
        "/v1/responses",
        "/v1/responses route, response id prefix",
        {"model": MODEL, "input": "Say hi.", "max_output_tokens": 16},
    ),
    Probe(
        "responses-stream",
        "POST",
        "/v1/responses",
        "/v1/responses streaming: events, a 500, or a cut",
        {"model": MODEL, "input": "Say hi.", "max_output_tokens": 16, "stream": True},
        when="responses",
    ),
    Probe(
        "responses-stream-short",
        "POST",
        "/v1/responses",
        "/v1/responses streaming cut by max_output_tokens: the closed item's status",
        {"model": MODEL, "input": "Say hi.", "max_output_tokens": 2, "stream": True},
        when="responses",
    ),
)

MAX_PROBES = len(PROBES)


def _fill(value: Any, model: str) -> Any:
    if value == MODEL:
        return model
    if isinstance(value, dict):
        return {k: _fill(v, model) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, model) for v in value]
    return value


@dataclass
class Run:
    """The exchanges of one probe run, by probe name."""

    base_url: str
    model: str
    models: list[str]
    exchanges: dict[str, Exchange]
    requests: int
    waits: list[float]
    api_key: bool

    def get(self, name: str) -> Exchange | None:
        return self.exchanges.get(name)


def _wanted(
    probe: Probe, client: ProbeClient, models: list[str], done: dict[str, Exchange]
) -> bool:
    if probe.when == "key":
        return client.api_key is not None
    if probe.when == "second-model":
        return len(models) > 1
    if probe.when == "responses":
        first = done.get("responses")
        return first is not None and first.status not in (401, 404, 405)
    return True


async def run_probes(client: ProbeClient, model: str | None) -> Run:
    """Send the probe set. The model comes from ``/v1/models`` unless given."""
    done: dict[str, Exchange] = {}
    models: list[str] = []
    for probe in PROBES:
        if not _wanted(probe, client, models, done):
            continue
        body = _fill(probe.body, model or "")
        if probe.name == "second-model":
            body["model"] = models[1]
        exchange = await client.send(
            probe.name,
            probe.method,
            probe.path,
            body=body,
            headers=dict(probe.headers),
            auth=probe.auth,
        )
        done[probe.name] = exchange
        if probe.name == "models":
            models = listed_models(exchange)
            if not model:
                check_openai(client.base_url, exchange, client.api_key is not None)
                model = models[0]
        elif probe.name == "chat":
            check_chat(client.base_url, exchange, client.api_key is not None)
    return Run(
        client.base_url,
        model or "",
        models,
        done,
        client.sent,
        list(client.waited),
        client.api_key is not None,
    )

"""Conformance of the fake LiteLLM against the real proxy: the same probes sent to both, each
in front of its own fake vLLM, and every structural difference reported.

``python -m fakes.conformance --litellm PATH/TO/litellm --version 1.110.2 [--record FILE]``
(``make conformance`` installs the real proxy and runs this). A recording keeps the real
proxy's answers so the test suite can hold the fake to them without the real proxy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from fakes.faults import Fault, FaultKind, FaultRule
from fakes.server import LiveServer, live
from fakes.types import JSONObject

FORMAT = "llm-fakes-conformance"
FORMAT_VERSION = 1
MASTER_KEY = "sk-llmfakes-Str0ng-Master-Key-123"
UPSTREAM_VERSION = "0.9.2"
CONFIG = """\
model_list:
  - model_name: fake-model
    litellm_params:
      model: hosted_vllm/fake-model
      api_base: {api_base}
      api_key: none
  - model_name: mocky
    litellm_params:
      model: openai/gpt-4o
      mock_response: "Hello from mock"
general_settings:
  master_key: {key}
"""
AUTH = {"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"}
HI = [{"role": "user", "content": "hi"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
# Header names that depend on framing or the clock, not on the proxy.
IGNORED_HEADERS = {"date", "content-length", "transfer-encoding"}
# Keys whose values (not only types) are compared.
VALUE_KEYS = {"object", "model", "finish_reason", "type", "code", "param", "role", "status"}
_VOLATILE = re.compile(r"[0-9a-f]{12,}|[0-9a-f-]{36}|\d+(\.\d+)?(e-?\d+)?")


@dataclass(frozen=True)
class Probe:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=lambda: dict(AUTH))
    body: Any = None
    raw: bytes | None = None
    fault: Fault | None = None


def _chat(**extra: Any) -> JSONObject:
    return {"model": "fake-model", "messages": HI, **extra}


PROBES = (
    Probe("plain", "POST", "/v1/chat/completions", body=_chat(max_tokens=5)),
    Probe("plain_bare_route", "POST", "/chat/completions", body=_chat(max_tokens=5)),
    Probe("stream", "POST", "/v1/chat/completions", body=_chat(max_tokens=3, stream=True)),
    Probe(
        "stream_include_usage",
        "POST",
        "/v1/chat/completions",
        body=_chat(max_tokens=3, stream=True, stream_options={"include_usage": True}),
    ),
    Probe("tools", "POST", "/v1/chat/completions", body=_chat(tools=TOOLS, tool_choice="auto")),
    Probe(
        "tools_stream",
        "POST",
        "/v1/chat/completions",
        body=_chat(tools=TOOLS, tool_choice="auto", stream=True),
    ),
    Probe("mock", "POST", "/v1/chat/completions", body={"model": "mocky", "messages": HI}),
    Probe(
        "mock_stream",
        "POST",
        "/v1/chat/completions",
        body={"model": "mocky", "messages": HI, "stream": True},
    ),
    Probe(
        "engines_route",
        "POST",
        "/engines/fake-model/chat/completions",
        body={"messages": HI, "max_tokens": 2},
    ),
    Probe("no_key", "POST", "/v1/chat/completions", headers={}, body=_chat()),
    Probe(
        "wrong_key",
        "POST",
        "/v1/chat/completions",
        headers={"Authorization": "Bearer sk-wrong"},
        body=_chat(),
    ),
    Probe(
        "key_without_bearer",
        "POST",
        "/v1/chat/completions",
        headers={"Authorization": MASTER_KEY},
        body=_chat(),
    ),
    Probe(
        "x_litellm_api_key",
        "POST",
        "/v1/chat/completions",
        headers={"x-litellm-api-key": MASTER_KEY},
        body=_chat(max_tokens=2),
    ),
    Probe("unknown_model", "POST", "/v1/chat/completions", body=_chat(model="nope")),
    Probe("unknown_route", "GET", "/v1/nothing", headers={}),
    Probe("wrong_method", "GET", "/v1/chat/completions"),
    Probe("malformed_body", "POST", "/v1/chat/completions", raw=b'{"model":'),
    Probe("models", "GET", "/v1/models"),
    Probe("models_without_key", "GET", "/v1/models", headers={}),
    Probe("liveliness", "GET", "/health/liveliness", headers={}),
    Probe("readiness", "GET", "/health/readiness", headers={}),
    Probe(
        "upstream_500",
        "POST",
        "/v1/chat/completions",
        body=_chat(),
        fault=Fault(kind=FaultKind.HTTP_ERROR, status=500),
    ),
    Probe(
        "upstream_500_stream",
        "POST",
        "/v1/chat/completions",
        body=_chat(stream=True),
        fault=Fault(kind=FaultKind.HTTP_ERROR, status=500),
    ),
    Probe(
        "mid_stream_error",
        "POST",
        "/v1/chat/completions",
        body=_chat(stream=True, max_tokens=5),
        fault=Fault(kind=FaultKind.ERROR_FRAME, after_chunks=2),
    ),
    Probe(
        "upstream_cut",
        "POST",
        "/v1/chat/completions",
        body=_chat(stream=True, max_tokens=5),
        fault=Fault(kind=FaultKind.CUT, after_chunks=2),
    ),
    # Last: on a vLLM without /v1/responses, 1.110 cools the model down.
    Probe("responses", "POST", "/v1/responses", body={"model": "fake-model", "input": "hi"}),
    Probe("responses_again", "POST", "/v1/responses", body={"model": "fake-model", "input": "hi"}),
)


def capture(base_url: str, probe: Probe, upstream: Any) -> JSONObject:
    """Send one probe; the answer as it came, with how many upstream calls it made."""
    faults = upstream.state.fake.faults
    faults.set((FaultRule(fault=probe.fault),) if probe.fault else ())
    upstream.state.fake.log.clear()
    content = (
        probe.raw
        if probe.raw is not None
        else (orjson.dumps(probe.body) if probe.body is not None else None)
    )
    headers = dict(probe.headers)
    if content is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        with httpx.Client(timeout=30) as client:
            response = client.request(
                probe.method, base_url + probe.path, content=content, headers=headers
            )
    finally:
        faults.set(())
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": response.text,
        # Proxied calls (retries included); the proxy's own GET /models polling is not counted.
        "upstream_calls": sum(e.method == "POST" for e in upstream.state.fake.log.entries()),
    }


def run_probes(base_url: str, upstream: Any) -> dict[str, JSONObject]:
    return {probe.name: capture(base_url, probe, upstream) for probe in PROBES}


def _shape(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if key in VALUE_KEYS:
        return ("value", value)
    if key == "message" and isinstance(value, str):
        return ("message", _VOLATILE.sub("#", value))
    return ("type", type(value).__name__)


def _events(text: str) -> list[Any]:
    events: list[Any] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields: list[Any] = []
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name != "data":
                fields.append(name)
                continue
            value = value.strip()
            if value == "[DONE]":
                fields.append("[DONE]")
                continue
            try:
                data = orjson.loads(value)
            except orjson.JSONDecodeError:
                fields.append(("text", value))
                continue
            style = "compact" if orjson.dumps(data).decode() == value else "spaced"
            fields.append((style, _shape(data)))
        events.append(fields)
    return events


def structure(answer: JSONObject) -> JSONObject:
    """What is compared: status, header names, body shape, upstream calls."""
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    content_type = headers.get("content-type", "")
    body: Any
    if content_type.startswith("text/event-stream"):
        body = ("events", _events(answer["body"]))
    else:
        try:
            body = ("json", _shape(orjson.loads(answer["body"])))
        except orjson.JSONDecodeError:
            body = ("text", answer["body"])
    return {
        "status": answer["status"],
        "content-type": content_type,
        "headers": sorted(set(headers) - IGNORED_HEADERS),
        "body": body,
        "upstream_calls": answer["upstream_calls"],
    }


def _compare(real: Any, fake: Any, path: str, out: list[str]) -> None:
    if isinstance(real, dict) and isinstance(fake, dict):
        for key in real.keys() - fake.keys():
            out.append(f"{path}.{key}: only in the real proxy")
        for key in fake.keys() - real.keys():
            out.append(f"{path}.{key}: only in the fake")
        for key in real.keys() & fake.keys():
            _compare(real[key], fake[key], f"{path}.{key}", out)
    elif isinstance(real, list) and isinstance(fake, list) and path.endswith("headers"):
        for name in sorted(set(real) - set(fake)):
            out.append(f"{path}: {name!r} only in the real proxy")
        for name in sorted(set(fake) - set(real)):
            out.append(f"{path}: {name!r} only in the fake")
    elif isinstance(real, list | tuple) and isinstance(fake, list | tuple):
        if len(real) != len(fake):
            out.append(f"{path}: {len(real)} items in the real proxy, {len(fake)} in the fake")
        for index, (a, b) in enumerate(zip(real, fake, strict=False)):
            _compare(a, b, f"{path}[{index}]", out)
    elif real != fake:
        out.append(f"{path}: real {real!r} != fake {fake!r}")


def differences(real: dict[str, JSONObject], fake: dict[str, JSONObject]) -> list[str]:
    out: list[str] = []
    for name in real:
        if name not in fake:
            out.append(f"{name}: not probed on the fake")
            continue
        _compare(structure(real[name]), structure(fake[name]), name, out)
    return out


def config_text(api_base: str) -> str:
    return CONFIG.format(api_base=api_base, key=MASTER_KEY)


def make_upstream() -> Any:
    from fakes.cli import resolve_vllm_profile
    from fakes.vllm import VllmConfig, create_vllm_app

    profile, release = resolve_vllm_profile(UPSTREAM_VERSION, None)
    return create_vllm_app(
        VllmConfig(
            profile=profile,
            version=release,
            enable_auto_tool_choice=True,
            tool_call_parser="hermes",
        )
    )


@contextlib.contextmanager
def fake_stack(version: str) -> Iterator[tuple[LiveServer, Any]]:
    """The fake LiteLLM (live) in front of its own fake vLLM (live), from ``CONFIG``."""
    from fakes.litellm import create_litellm_app, parse_config, resolve_litellm_profile

    upstream = make_upstream()
    with live(upstream) as vllm:
        profile, release = resolve_litellm_profile(version, None)
        config = parse_config(config_text(f"{vllm.url}/v1"), "conformance", profile, release, {})
        app = create_litellm_app(config)
        with live(app, server_header=profile.knobs.server_header) as proxy:
            yield proxy, upstream


@contextlib.contextmanager
def real_stack(litellm: str, port: int) -> Iterator[tuple[str, Any, str]]:
    upstream = make_upstream()
    with live(upstream) as vllm, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(config_text(f"{vllm.url}/v1"))
        log = (Path(folder) / "proxy.log").open("w")
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        command = [litellm, "--config", str(path), "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, process, Path(folder) / "proxy.log")
            yield url, upstream, vllm.url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the real proxy exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"the real proxy did not start in {timeout:.0f} s")


def write_recording(path: Path, version: str, answers: dict[str, JSONObject]) -> None:
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "litellm": version,
        "upstream": f"fake vLLM {UPSTREAM_VERSION}",
        "redacted": ["authorization"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(
        orjson.dumps({**header, "answers": answers}, option=orjson.OPT_INDENT_2) + b"\n"
    )
    temporary.replace(path)


def read_recording(path: Path) -> tuple[str, dict[str, JSONObject]]:
    data = orjson.loads(path.read_bytes())
    if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} recording")
    return str(data["litellm"]), data["answers"]


def _recorded(url: str, upstream: Any, upstream_url: str, cassette: Path) -> dict[str, JSONObject]:
    """The probes through a recording proxy in front of the real one; the cassette names
    no local port (the upstream appears as in stack_app, the proxy as REAL_PROXY)."""
    from fakes.record import Recorder

    cassette.unlink(missing_ok=True)
    with live(Recorder(url, cassette), server_header=False, date_header=False) as recorder:
        answers = run_probes(recorder.url, upstream)
    text = cassette.read_bytes()
    for local, public in ((upstream_url, "http://upstream.fake"), (url, REAL_PROXY)):
        text = text.replace(local.encode(), public.encode())
    cassette.write_bytes(text)
    return answers


REAL_PROXY = "http://litellm.real"


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakes.conformance", description=__doc__)
    parser.add_argument("--litellm", required=True, help="The real proxy's `litellm` command.")
    parser.add_argument("--version", required=True, help="Its release, e.g. 1.110.2.")
    parser.add_argument("--port", type=int, default=4099)
    parser.add_argument("--record", type=Path, help="Write the real proxy's answers here.")
    parser.add_argument(
        "--cassette", type=Path, help="Also record the session as a replayable cassette."
    )
    args = parser.parse_args(argv)
    with real_stack(args.litellm, args.port) as (url, upstream, upstream_url):
        if args.cassette:
            real = _recorded(url, upstream, upstream_url, args.cassette)
            echo(f"recorded the session as a cassette in {args.cassette}")
        else:
            real = run_probes(url, upstream)
    # Recordings name no local port: the upstream appears as in stack_app.
    real = orjson.loads(orjson.dumps(real).replace(upstream_url.encode(), b"http://upstream.fake"))
    with fake_stack(args.version) as (proxy, upstream):
        fake = run_probes(proxy.url, upstream)
    if args.record:
        write_recording(args.record, args.version, real)
        echo(f"recorded the real proxy's answers in {args.record}")
    found = differences(real, fake)
    for line in found:
        echo(line)
    echo(f"LiteLLM {args.version}: {len(PROBES)} probes, {len(found)} differences")
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Both proxies, each in front of its own fake vLLMs (one per unit, under one hub on a
loopback port), and sending a unit's requests to them. The real proxy is a subprocess; the
fake runs in this process on a loopback port, as `make test` runs it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.http.server import live
from fakes.profiles import LitellmProfile
from reference._process import stop
from reference.litellm_conformance._connection import KeptConnection
from reference.litellm_conformance._units import MASTER_KEY, MOCK_MODEL, Unit, UpstreamFactory
from reference.litellm_conformance._upstream import Replayed

UPSTREAM = "http://upstream.fake"  # how every recording names the upstreams' host
TIMEOUT = 60.0


class Hub:
    """One ASGI app serving each unit's upstream under ``/<unit name>/``."""

    def __init__(self, apps: dict[str, ASGIApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        _, name, rest = (scope["path"] + "/").split("/", 2)
        app = self.apps.get(name)
        if app is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such unit"})
            return
        path = "/" + rest.rstrip("/")
        await app(dict(scope, path=path, raw_path=path.encode()), receive, send)


def replayed_hub(upstream: dict[str, list[dict[str, Any]]]) -> Hub:
    """Each unit's recorded upstream answers, served again."""
    return Hub({name: Replayed(answers) for name, answers in upstream.items()})


def hub_for(
    units: Sequence[Unit], factory: UpstreamFactory, upstream: str | None, litellm: str
) -> Hub:
    return Hub({u.name: factory(u.source, upstream, litellm) for u in units})


def config_text(units: Sequence[Unit], base: str, provider: str = "hosted_vllm") -> str:
    lines = ["model_list:"]
    for unit in units:
        lines += [
            f"  - model_name: {unit.name}",
            "    litellm_params:",
            f"      model: {provider}/fake-model",
            f"      api_base: {base}/{unit.name}/v1",
            "      api_key: none",
        ]
    lines += [
        f"  - model_name: {MOCK_MODEL}",
        "    litellm_params:",
        "      model: openai/gpt-4o",
        '      mock_response: "Hello from mock"',
        "general_settings:",
        f"  master_key: {MASTER_KEY}",
    ]
    return "\n".join(lines) + "\n"


def _answer(response: httpx.Response, body: bytes, complete: bool) -> dict[str, Any]:
    return {
        "status": response.status_code,
        "headers": [[k, v] for k, v in response.headers.multi_items()],
        "body": body.decode("utf-8", "replace"),
        "complete": complete,
    }


async def send_unit(
    client: httpx.AsyncClient, connection: KeptConnection, unit: Unit, before: dict[str, Any]
) -> list[dict[str, Any]]:
    """The unit's answers in order; ``before`` is the run's answer before the unit's first
    (marked ``closed`` when the server turns out to have closed the connection after it)."""
    answers: list[dict[str, Any]] = []
    for request in unit.requests:
        closes = connection.closes
        try:
            async with client.stream(
                request.method, request.path, content=request.body, headers=request.headers
            ) as response:
                body, complete = b"", True
                try:
                    async for piece in response.aiter_raw():
                        body += piece
                except httpx.HTTPError:
                    complete = False
                answers.append(_answer(response, body, complete))
        except httpx.TransportError as exc:  # the server closed the connection unanswered
            answers.append(_unanswered(exc))
        if connection.closes > closes:
            (answers[-2] if len(answers) > 1 else before)["closed"] = True
    return answers


def _unanswered(exc: httpx.TransportError) -> dict[str, Any]:
    return {"status": 0, "headers": [], "body": type(exc).__name__, "complete": False}


def localize(answers: Any, base: str) -> Any:
    """The upstreams' loopback address in answers, as ``UPSTREAM``."""
    if isinstance(answers, str):
        return answers.replace(base, UPSTREAM)
    if isinstance(answers, list):
        return [localize(a, base) for a in answers]
    if isinstance(answers, dict):
        return {k: localize(v, base) for k, v in answers.items()}
    return answers


def fake_answers(
    version: str,
    units: Sequence[Unit],
    hub: Hub,
    provider: str = "hosted_vllm",
    *,
    profile: LitellmProfile | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The fake LiteLLM in front of the hub, both on loopback like the real proxy's run
    (uvicorn's headers on the upstream answers are part of what the proxy passes on); with
    the release's profile unless given another."""
    from fakes.litellm import create_litellm_app, parse_config, resolve_litellm_profile

    resolved, release = resolve_litellm_profile(version, None)
    profile = profile or resolved
    with live(hub) as upstream:
        text = config_text(units, upstream.url, provider)
        config = parse_config(text, "conformance", profile, release, {})
        app = create_litellm_app(config)
        with live(app, server_header=profile.knobs.server_header) as proxy:
            answers = asyncio.run(send_all(proxy.url, units))
        localized: dict[str, list[dict[str, Any]]] = localize(answers, upstream.url)
    return localized


@contextlib.contextmanager
def real_proxy(
    litellm: str, port: int, units: Sequence[Unit], hub: Hub, provider: str = "hosted_vllm"
) -> Iterator[tuple[str, str]]:
    """The real proxy on ``port`` in front of the hub on another loopback port:
    (proxy URL, the hub's base URL)."""
    with live(hub) as server, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(config_text(units, server.url, provider))
        log_path = Path(folder) / "proxy.log"
        with log_path.open("w") as log:
            env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
            command = [litellm, "--config", str(path), "--host", "127.0.0.1", "--port", str(port)]
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait(url, process, log_path)
                yield url, server.url
            finally:
                stop(process)


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the real proxy exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"the real proxy did not start in {timeout:.0f} s")


async def send_all(url: str, units: Sequence[Unit]) -> dict[str, list[dict[str, Any]]]:
    """Every unit's requests in turn, on one kept-alive connection while the server keeps it
    (a new one after the server closes it: ``KeptConnection``)."""
    out = {}
    connection = KeptConnection()
    last: dict[str, Any] = {}  # the run's latest answer (none yet: a throwaway)
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT, transport=connection) as client:
        for unit in units:
            out[unit.name] = await send_unit(client, connection, unit, last)
            last = out[unit.name][-1] if out[unit.name] else last
    return out

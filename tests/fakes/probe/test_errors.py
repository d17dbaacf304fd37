"""Rate limits, dead and non-OpenAI servers: the probe waits as told or stops with one line."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fakes.cli import main
from fakes.http.server import live
from fakes.probe import MAX_REQUESTS, ProbeError
from fakes.profiles import builtin, with_knobs
from tests.fakes.probe.conftest import KEY, Counting, probe_app, vllm_app

VLLM = builtin("vllm")


class RateLimited:
    """Answers 429 with ``retry-after`` to the first ``times`` chat requests."""

    def __init__(self, app: ASGIApp, retry_after: str, times: int = 1) -> None:
        self.app, self.retry_after, self.left = app, retry_after, times

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/chat/completions" and self.left:
            self.left -= 1
            body = {"error": {"message": "slow down", "type": "rate_limit", "code": "429"}}
            response = JSONResponse(body, 429, headers={"retry-after": self.retry_after})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def test_429_retry_after_is_honoured() -> None:
    counted = Counting(RateLimited(vllm_app(VLLM.get("vllm-0.9")), "0.3"))
    started = time.monotonic()
    report = await probe_app(counted)
    assert time.monotonic() - started >= 0.3
    assert report.run.waits == [0.3]
    assert report.run.exchanges["chat"].attempts == 2
    assert report.run.requests == len(counted.paths) <= MAX_REQUESTS
    assert [m.profile.name for m in report.primary.tied] == ["vllm-0.9"]
    assert not report.primary.best.differences


async def test_a_retry_after_longer_than_the_probe_waits_stops_it() -> None:
    app = RateLimited(vllm_app(VLLM.get("vllm-0.9")), "3600")
    with pytest.raises(ProbeError, match=r"rate limited \(429\) with retry-after 3600 s"):
        await probe_app(app)


async def test_endless_429s_stay_within_the_request_bound() -> None:
    counted = Counting(RateLimited(vllm_app(VLLM.get("vllm-0.9")), "0", times=10_000))
    with pytest.raises(ProbeError):
        await probe_app(counted)
    assert len(counted.paths) <= MAX_REQUESTS


def _not_openai() -> Starlette:
    async def page(request: Request) -> Response:
        if request.url.path == "/":
            return HTMLResponse("<html><body>Welcome</body></html>")
        return PlainTextResponse("Not Found", status_code=404)

    return Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"])])


async def test_a_non_openai_server_is_one_line() -> None:
    with pytest.raises(ProbeError) as caught:
        await probe_app(_not_openai())
    message = str(caught.value)
    assert message == (
        "http://probe.test does not look like an OpenAI-compatible server: GET /v1/models "
        "answered 404 (text/plain) 'Not Found'"
    )


async def test_a_missing_key_is_one_line() -> None:
    with pytest.raises(
        ProbeError, match=r"wants a key: pass --api-key \(GET /v1/models answered 401"
    ):
        await probe_app(vllm_app(VLLM.get("vllm-0.9")), api_key=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_dead_port_is_one_line() -> None:
    port = _free_port()
    result = CliRunner().invoke(main, ["probe", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"error: cannot connect to http://127.0.0.1:{port}: All connection attempts failed"
    ]


@pytest.mark.live
def test_cli_on_a_non_openai_server_is_one_line() -> None:
    with live(_not_openai()) as server:
        result = CliRunner().invoke(main, ["probe", server.url])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "does not look like an OpenAI-compatible server" in result.output
    assert "Traceback" not in result.output


@pytest.mark.live
def test_cli_expect_json_and_out(tmp_path: Path) -> None:
    profile = VLLM.get("vllm-0.9")
    runner = CliRunner()
    with live(vllm_app(profile)) as server:
        ok = runner.invoke(
            main,
            [
                "probe",
                server.url + "/v1",
                "--rate",
                "0",
                "--api-key",
                KEY,
                "--json",
                "--expect",
                "vllm-0.9",
            ],
        )
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["layers"][0]["best"] == "vllm-0.9"
    assert data["requests"] <= MAX_REQUESTS
    out = tmp_path / "probed.yaml"
    with live(vllm_app(with_knobs(profile, {"error_shape": "nested"}))) as server:
        drift = runner.invoke(
            main,
            [
                "probe",
                server.url,
                "--rate",
                "0",
                "--api-key",
                KEY,
                "--expect",
                "vllm-0.9",
                "--out",
                str(out),
            ],
        )
    assert drift.exit_code == 1
    assert "error_shape" in drift.output
    assert "extends: vllm-0.9\nknobs:\n  error_shape: nested\n" in out.read_text()


async def test_the_client_side_rate_limit_spaces_requests() -> None:
    from fakes.probe import ProbeClient
    from fakes.transports.streaming import StreamingASGITransport

    app = vllm_app(VLLM.get("vllm-0.9"))
    client = ProbeClient("http://probe.test", transport=StreamingASGITransport(app), rate=20)
    started = time.monotonic()
    try:
        for _ in range(5):
            await client.send("health", "GET", "/health", auth=False)
    finally:
        await client.aclose()
    assert time.monotonic() - started >= 4 / 20
    assert client.sent == 5

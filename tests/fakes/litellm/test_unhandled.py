"""1.88 and 1.90 as pip installs them: an auth failure raised as a plain exception meets the
missing prisma and becomes the catch-all 500, outside every middleware, and the connection
closes after it."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from fakes.http.server import live
from fakes.litellm import stack_app
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config
from tests.fakes.litellm.conftest import KEY

BARE_500 = {"error": {"message": "Internal server error", "type": "internal_server_error"}}


@pytest.mark.parametrize("version", ["1.88.6", "1.90.7"])
async def test_no_key_or_no_bearer_is_the_bare_500(stack: Any, version: str) -> None:
    # knob auth_errors_unhandled
    async with stack(version, app_exceptions=False) as s:
        answers = [
            await s.client.post("/v1/chat/completions", json=CHAT),
            await s.client.post("/v1/chat/completions", json=CHAT, headers={"authorization": KEY}),
            await s.client.get("/v1/models"),
            await s.client.post("/v1/messages", json={**CHAT, "max_tokens": 5}),
        ]
        wrong = await s.client.post(
            "/v1/chat/completions", json=CHAT, headers={"authorization": "Bearer sk-other"}
        )
        log = s.proxy.state.fake.log.entries()
    for answer in answers:
        assert (answer.status_code, answer.json()) == (500, BARE_500)
        assert "vary" not in answer.headers and "x-frame-options" not in answer.headers
    assert [entry.status for entry in log][:4] == [500] * 4  # the request log sees them
    # a key that is not the master key is looked up, and fails as before (400)
    assert wrong.status_code == 400 and wrong.json()["error"]["type"] == "no_db_connection"


async def test_110_still_answers_401(stack: Any) -> None:
    async with stack("1.110.2") as s:
        answer = await s.client.post("/v1/chat/completions", json=CHAT)
    assert answer.status_code == 401 and answer.json()["error"]["type"] == "auth_error"


@contextmanager
def _connection(version: str) -> Iterator[http.client.HTTPConnection]:
    """One kept-alive client connection to the fake LiteLLM on a real socket (uvicorn, as the
    real proxy runs)."""
    app = stack_app(version, create_vllm_app(vllm_config("0.9.2")), master_key=KEY)
    with live(app) as server:
        url = httpx.URL(server.url)
        # the timeout only bounds a hang: every read below ends on bytes or the socket's end
        connection = http.client.HTTPConnection(url.host, url.port, timeout=30)
        try:
            yield connection
        finally:
            connection.close()


def _answer(
    connection: http.client.HTTPConnection, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    connection.request("POST", "/v1/chat/completions", json.dumps(CHAT), headers)
    response = connection.getresponse()
    body = json.loads(response.read())
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.mark.live
@pytest.mark.parametrize("version", ["1.88.6", "1.90.7"])
def test_the_bare_500_closes_the_connection_as_the_real_proxy_does(version: str) -> None:
    # Seen on the wire from 1.88.6 and 1.90.7: the whole 500 (content-length, no "connection:
    # close"), then the end of the socket; an error the proxy handles keeps the connection.
    with _connection(version) as connection:
        wrong = _answer(connection, {"authorization": "Bearer sk-other"})
        assert wrong[0] == 400 and wrong[2]["error"]["type"] == "no_db_connection"
        kept = connection.sock
        status, headers, body = _answer(connection, {})
        assert connection.sock is kept  # the 500 came on the same, kept-alive, connection
        assert (status, body) == (500, BARE_500)
        assert "connection" not in headers and headers["content-length"] == str(
            len(json.dumps(BARE_500, separators=(",", ":")))
        )
        # then the server's end of the connection: the next request on it gets no answer at all
        # (uvicorn would keep an idle connection 5 s; this one is sent at once)
        with pytest.raises(ConnectionError):
            _answer(connection, {"authorization": f"Bearer {KEY}"})


@pytest.mark.live
def test_110_keeps_the_connection_after_its_401() -> None:
    with _connection("1.110.2") as connection:
        first = _answer(connection, {})
        kept = connection.sock
        second = _answer(connection, {})
        assert connection.sock is kept
    assert first[0] == second[0] == 401

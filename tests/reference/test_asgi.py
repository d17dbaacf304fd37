"""The in-process caller the cassette replay uses: bodies as sent, and a cut seen as a cut."""

from __future__ import annotations

from typing import Any

from tests.reference._asgi import call


async def _app(scope: Any, receive: Any, send: Any) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"got " + message["body"], "more_body": True})
    if scope["path"] == "/cut":
        return  # returns without the final body message: the connection drops
    await send({"type": "http.response.body", "body": b"!", "more_body": False})


def test_a_finished_body() -> None:
    answer = call(_app, "POST", "/whole", body=b"x")
    assert (answer.status, answer.headers, answer.body, answer.complete) == (
        201,
        {"x-a": "1"},
        b"got x!",
        True,
    )


def test_a_cut_body_keeps_what_was_sent() -> None:
    answer = call(_app, "POST", "/cut", body=b"y")
    assert (answer.body, answer.complete) == (b"got y", False)

from __future__ import annotations

import asyncio
import gc
import tracemalloc

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fakes.http.capture import CaptureMiddleware
from fakes.http.requestlog import RequestLog
from tests._asgi_messages import messages_sent

ANSWERS = 200
SERVER = ("fake", 80)


def _answering(payload: object, *, stream: bool) -> CaptureMiddleware:
    """The capture middleware in front of an app answering with ``orjson.dumps(payload)``:
    in one piece, or as a stream of three framed events."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if not stream:
            await Response(orjson.dumps(payload), media_type="application/json")(
                scope, receive, send
            )
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(3):
            event = b"data: " + orjson.dumps(payload) + b"\n\n"
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    log = RequestLog(ANSWERS)
    return CaptureMiddleware(app, lambda: log, max_body=1 << 20, too_large=lambda _: app)


def test_a_logged_answer_sent_in_one_piece_is_the_bytes_sent() -> None:
    payload = {"id": "chatcmpl-1", "choices": [{"text": "x" * 40}]}
    for stream in (False, True):
        app = _answering(payload, stream=stream)
        sent = asyncio.run(messages_sent(app, "POST", "/v1/completions", b"{}", [], SERVER))
        entry = app.log().entries()[-1]
        body = b"".join(m["body"] for m in sent if m["type"] == "http.response.body")
        assert b"".join(chunk for _, chunk in entry.chunks) == body
        assert entry.complete and len(entry.chunks) == (3 if stream else 1)


def test_a_full_log_of_plain_answers_holds_about_their_own_length() -> None:
    """orjson's bytes keep the buffer it wrote into (16 KB behind a 1.3 KB answer from
    orjson 3.12 on): the log keeps a right-sized copy of an answer sent in one piece."""
    payload = {"id": "resp-1", "output": [{"text": "lorem ipsum " * 100}]}
    length = len(orjson.dumps(payload))
    app = _answering(payload, stream=False)

    async def answer(times: int) -> None:
        for _ in range(times):
            await messages_sent(app, "POST", "/v1/responses", b"{}", [], SERVER)

    asyncio.run(answer(ANSWERS))  # a full log first: each answer below pushes one out
    gc.collect()
    tracemalloc.start()
    try:
        asyncio.run(answer(ANSWERS))
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / ANSWERS < length + 1024, (held / ANSWERS, length)

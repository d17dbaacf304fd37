"""1.88 and 1.90 as pip installs them: an auth failure raised as a plain exception meets the
missing prisma and becomes the catch-all 500, outside every middleware."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CHAT
from tests.fakes.litellm.conftest import KEY

BARE_500 = {"error": {"message": "Internal server error", "type": "internal_server_error"}}


@pytest.mark.parametrize("version", ["1.88.6", "1.90.7"])
async def test_no_key_or_no_bearer_is_the_bare_500(stack: Any, version: str) -> None:
    # knob auth_errors_unhandled
    async with stack(version) as s:
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

"""Planted canary secrets never reach the cassette, whatever carries them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fakes.http.server import live
from fakes.record import Recorder, Redactor
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config

CANARY = "sk-canary0123456789abcdef"


@pytest.mark.live
def test_canaries_in_headers_query_and_bodies_are_redacted(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    config = vllm_config("0.9.2", api_keys=(CANARY,))
    with live(create_vllm_app(config)) as upstream:
        recorder = Recorder(upstream.url, cassette, redactor=Redactor(("internal-[0-9]+",)))
        with live(recorder) as proxy, httpx.Client(base_url=proxy.url, timeout=10) as client:
            response = client.post(
                f"/v1/chat/completions?key={CANARY}&api_key=plain-secret",
                json={
                    **CHAT,
                    "api_key": "json-field-secret",
                    "messages": [
                        {"role": "user", "content": f"my key is {CANARY}, id internal-42"}
                    ],
                },
                headers={
                    "Authorization": f"Bearer {CANARY}",
                    "x-api-key": "header-secret",
                    "api-key": "header-secret-2",
                },
            )
    assert response.status_code == 200  # the key reached the upstream; only the file is clean
    text = cassette.read_text()
    for secret in (CANARY, "plain-secret", "json-field-secret", "header-secret", "internal-42"):
        assert secret not in text
    assert "[redacted]" in text
    assert '"redacted":["headers: ' in text  # the header line says what was redacted


def test_invalid_extra_pattern_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"invalid redaction pattern '\('"):
        Redactor(("(",))

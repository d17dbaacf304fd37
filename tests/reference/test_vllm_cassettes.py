"""The fake vLLM against real vLLM releases' own answers, without vLLM installed.

Every ``recordings/vllm/vllm-X.jsonl`` was recorded by ``make record-vllm`` from release X's
own OpenAI app (reference/vllm_harness: a scripted engine in place of the GPU). Each setup's
requests go to a fake built the same way (served name, flags, script); the answers must be
byte-identical after normalizing ids' random parts, ``created`` and timing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.http.server import live
from fakes.profiles import Knobs, ResponsesEventResponse, resolve_vllm_profile
from fakes.record import Interaction, load
from reference.vllm_harness._normalize import differences
from reference.vllm_harness._setup import Setup, fake_app
from reference.vllm_harness._setups_file import read_setups

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"
CASSETTES = sorted(RECORDINGS.glob("vllm-*.jsonl"))


class PendingDifference(Exception):
    """The only differences are ones named in the reason (see KNOWN)."""


@dataclass(frozen=True)
class Known:
    reason: str
    applies: Callable[[Knobs, Interaction], bool]  # to this interaction, with this fake
    line: re.Pattern[str]  # a difference line it explains
    releases: tuple[str, ...] = ()  # the recorded releases it was seen on; () for every one


def _json(item: Interaction) -> dict[str, Any]:
    value = item.json_body()
    return value if isinstance(value, dict) else {}


def _json_request(item: Interaction) -> dict[str, Any]:
    try:
        value = json.loads(item.request_body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


ANY = re.compile(".")
NOT_FIXED = "a harness finding not fixed in the fake yet"

KNOWN = (
    Known(
        f"{NOT_FIXED}: 0.10.2 refuses tools on /v1/responses without Harmony (a 400)",
        lambda knobs, item: item.path == "/v1/responses" and b"without Harmony" in item.body,
        ANY,
    ),
    Known(
        f"{NOT_FIXED}: /v1/responses validates input items (a tool message is not one)",
        lambda knobs, item: (
            item.path == "/v1/responses" and item.status == 400 and b"validation error" in item.body
        ),
        ANY,
    ),
    Known(
        f"{NOT_FIXED}: the hermes parser's own streamed argument fragments",
        lambda knobs, item: (
            _streamed(item)
            and bool(_json(item).get("tools"))
            and _json(item).get("tool_choice") == "auto"
        ),
        ANY,
    ),
    Known(
        "harness (fixed, to re-record): 0.24+ constrains a named/required tool_choice with "
        "hermes' structural tag (hermes_tool_parser.py:35, parser/abstract_parser.py "
        "_apply_structural_tag), so a model writes a <tool_call> block, which the hermes "
        "parser reads back with both tool flags; this cassette's engine still wrote the bare "
        "JSON arguments, which came out as content",
        lambda knobs, item: (
            item.path == "/v1/chat/completions" and isinstance(_json(item).get("tool_choice"), dict)
        ),
        ANY,
        ("0.33.0",),
    ),
    Known(
        "this test reads a cut stream as empty (iter_raw raises): 0.10.2-0.11.0 cut before "
        "response.completed (openai's Response refuses the usage), so only the cut is compared",
        lambda knobs, item: (
            item.path == "/v1/responses"
            and not item.complete
            and knobs.responses_event_response is ResponsesEventResponse.OPENAI_RESPONSE
        ),
        re.compile(r"^\$: real sent \d+ events, the fake 0$"),
    ),
    Known(
        # vLLM sets max_output_tokens to max_model_len minus the prompt's length in the
        # model's own tokenizer and chat template (the harness's tiny model); the fake counts
        # the prompt its own way. A property of the model, not of the serving code.
        "model-dependent: /v1/responses max_output_tokens by default is max_model_len minus "
        "the prompt's length in the model's own tokenizer",
        lambda knobs, item: (
            item.path == "/v1/responses"
            and item.status == 200
            and "max_output_tokens" not in _json_request(item)
        ),
        re.compile(r"\.max_output_tokens: real \d+ vs fake \d+$"),
    ),
    Known(
        "environment: FastAPI >= 0.12x words str(RequestValidationError) with the endpoint "
        "(vLLM 0.12 api_server.py:1400-1406 appends the errors); the fake keeps the list text",
        lambda knobs, item: b"validation error:" in item.body and item.path != "/v1/responses",
        re.compile(r"\$\.error\.message: real"),
        ("0.10.2", "0.12.0"),
    ),
)


def _cases() -> list[object]:
    cases: list[object] = []
    for cassette in CASSETTES:
        release, groups = read_setups(cassette)
        items = load(cassette).interactions
        profile = resolve_vllm_profile(release, None)[0]
        knobs = profile.knobs
        start = 0
        for setup, count in groups:
            mine = items[start : start + count]
            start += count
            pending = [
                k
                for k in KNOWN
                if release in (k.releases or (release,))
                and any(k.applies(knobs, item) for item in mine)
            ]
            marks = [
                pytest.mark.xfail(
                    strict=True,
                    raises=PendingDifference,
                    reason="; ".join(p.reason for p in pending),
                )
            ]
            cases.append(
                pytest.param(
                    release,
                    setup,
                    mine,
                    pending,
                    id=f"{release}:{setup.name}",
                    marks=marks if pending else [],
                )
            )
    return cases


def _headers(item: Interaction, setup: Setup) -> dict[str, str]:
    headers = dict(item.request_headers)
    keys = setup.options.get("api_keys") or []
    if "authorization" in headers and keys:
        headers["authorization"] = f"Bearer {keys[0]}"  # redacted in the cassette
    return headers


@pytest.mark.parametrize(("release", "setup", "items", "pending"), _cases())
def test_the_fake_answers_as_the_release_did(
    release: str, setup: Setup, items: list[Interaction], pending: list[Known]
) -> None:
    knobs = resolve_vllm_profile(release, None)[0].knobs
    found: list[str] = []
    unexplained: list[str] = []
    with (
        live(fake_app(release, setup)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        for number, item in enumerate(items):
            url = item.path + (f"?{item.query}" if item.query else "")
            with client.stream(
                item.method, url, content=item.request_body, headers=_headers(item, setup)
            ) as response:
                try:
                    body = b"".join(response.iter_raw())
                    complete = True
                except httpx.RemoteProtocolError:
                    body, complete = b"", False
            lines = []
            if response.status_code != item.status:
                lines.append(f"status: real {item.status} vs fake {response.status_code}")
            if complete != item.complete:
                lines.append(f"complete: real {item.complete} vs fake {complete}")
            lines += differences(item.body, body, streamed=_streamed(item))
            known = [k for k in pending if k.applies(knobs, item)]
            where = f"#{number} {item.method} {item.path}"
            for line in lines:
                found.append(f"{where} {line}")
                if not any(k.line.search(line) for k in known):
                    unexplained.append(f"{where} {line}")
    assert not unexplained, "\n".join(unexplained)
    if found:
        raise PendingDifference("\n".join(found))

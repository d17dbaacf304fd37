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

import pytest

from fakes.cli import resolve_vllm_profile
from fakes.profiles import Knobs
from fakes.record import Interaction, load
from reference.vllm_harness._normalize import differences
from reference.vllm_harness._setup import Setup, fake_app
from reference.vllm_harness._setups_file import read_setups
from tests.reference._asgi import call

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
        f"{NOT_FIXED}: 0.10.2 ends a named tool_choice stream with finish_reason tool_calls",
        lambda knobs, item: _streamed(item) and isinstance(_json(item).get("tool_choice"), dict),
        re.compile(r'finish_reason: real "tool_calls" vs fake "stop"$'),
        ("0.10.2", "0.11.0"),
    ),
    Known(
        f"{NOT_FIXED}: 0.10.2 puts the prompt's token ids on the first /v1/completions chunk",
        lambda knobs, item: item.path == "/v1/completions" and _streamed(item),
        re.compile(r"\.prompt_token_ids: real \["),
        ("0.10.2", "0.11.0"),
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
        "harness: with both tool flags, 0.25's, 0.27's and 0.33's own apps read a named tool_choice's output "
        "through the hermes parser, so the bare JSON arguments the scripted engine emits (as "
        "guided decoding does in 0.12) come out as content; what their structured output makes "
        "a model emit there is not modelled yet",
        lambda knobs, item: isinstance(_json(item).get("tool_choice"), dict),
        ANY,
        ("0.25.0", "0.27.0", "0.33.0"),
    ),
    Known(
        f"{NOT_FIXED}: openai's Response in response.created/in_progress keeps the fields of "
        "vLLM's dumped dict it lacks, after its own: 0.11.0's input_messages, output_messages "
        "(0.11.0 serving_responses.py:1660-1680 ResponsesResponse.model_dump() handed to "
        "openai's ResponseCreatedEvent)",
        lambda knobs, item: item.path == "/v1/responses" and _streamed(item),
        re.compile(r"^\$\[\d+\]\.response\.(input|output)_messages: real has it \(null\)"),
        ("0.11.0",),
    ),
    Known(
        f"{NOT_FIXED}: 0.18-0.20's skip-empty /v1/responses stream sends the reasoning parser's item "
        "first (output_item.added type reasoning, vllm's response.reasoning_part.added, "
        "reasoning_text.delta ... done, output_item.done), then the message item; the fake "
        "streams only the message (recorded 0.18.0 and 0.20.0)",
        lambda knobs, item: (
            item.path == "/v1/responses" and _streamed(item) and b"reasoning_text" in item.body
        ),
        re.compile(r"^\$(\[\d+\])?[ .:\[]"),
        ("0.18.0", "0.20.0"),
    ),
    Known(
        f"{NOT_FIXED}: 0.20's /v1/responses stream with function tools closes the message item "
        "(output_text.done, content_part.done, output_item.done before response.completed) "
        "where the skip-empty style without tools sends no *.done after the EOS step "
        "(recorded 0.20.0; 0.18.0 sends none)",
        lambda knobs, item: (
            item.path == "/v1/responses"
            and _streamed(item)
            and bool(_json_request(item).get("tools"))
        ),
        ANY,
        ("0.20.0",),
    ),
    Known(
        f"{NOT_FIXED}: 0.22's chat stream with a reasoning parser sends the </think> step as a "
        'chunk of delta {"content": ""} between the reasoning and the answer (recorded 0.22.0 '
        "with deepseek_r1)",
        lambda knobs, item: (
            _streamed(item)
            and item.path == "/v1/chat/completions"
            and b'"delta":{"content":""},"logprobs":null,"finish_reason":null' in item.body
            and b'"reasoning"' in item.body
        ),
        ANY,
        ("0.22.0",),
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
        f"{NOT_FIXED}: /v1/responses refuses a named tool_choice without a top-level 'name' "
        "(the chat form): \"Tool choice 'function' not found in 'tools' parameter.\" (0.26.0 "
        "responses/protocol.py:611 read; 0.34.0 responses/protocol.py:890-897; recorded on 0.27.0, 0.33.0 and 0.34.0)",
        lambda knobs, item: item.path == "/v1/responses" and b"not found in 'tools'" in item.body,
        re.compile(r"^(status: real 400 vs fake 200|\$: real b'\{\"error\")"),
        ("0.27.0", "0.33.0", "0.34.0"),
    ),
    Known(
        "environment: FastAPI >= 0.12x words str(RequestValidationError) with the endpoint "
        "(vLLM 0.12 api_server.py:1400-1406 appends the errors); the fake keeps the list text",
        lambda knobs, item: b"validation error:" in item.body and item.path != "/v1/responses",
        re.compile(r"\$\.error\.message: real"),
        ("0.10.2", "0.11.0", "0.12.0", "0.15.0", "0.18.0", "0.20.0", "0.22.0", "0.25.0"),
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
    app = fake_app(release, setup)  # one fake per setup, called in process (no socket)
    for number, item in enumerate(items):
        answer = call(
            app,
            item.method,
            item.path,
            query=item.query,
            body=item.request_body,
            headers=_headers(item, setup),
        )
        lines = []
        if answer.status != item.status:
            lines.append(f"status: real {item.status} vs fake {answer.status}")
        if answer.complete != item.complete:
            lines.append(f"complete: real {item.complete} vs fake {answer.complete}")
        lines += differences(item.body, answer.body, streamed=_streamed(item))
        known = [k for k in pending if k.applies(knobs, item)]
        where = f"#{number} {item.method} {item.path}"
        for line in lines:
            found.append(f"{where} {line}")
            if not any(k.line.search(line) for k in known):
                unexplained.append(f"{where} {line}")
    assert not unexplained, "\n".join(unexplained)
    if found:
        raise PendingDifference("\n".join(found))

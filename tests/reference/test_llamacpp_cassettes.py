"""The fake llama-server against real llama-server builds' own answers, without llama.cpp.

Every ``recordings/llamacpp/llamacpp-bN.jsonl`` was recorded by reference/llamacpp_harness
from build N's own server (a CPU build serving a tiny random GGUF, greedy). Each exchange goes
to a fake of that build that says what the real model said (its text, tool calls and finish
reason); the answers must be equal by JSON path, values and key order, after normalizing the
random ids, ``created`` and the measured durations. Differences not fixed are strict xfails
named below.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.record import Interaction, load
from reference.llamacpp_harness._cases import KEY
from reference.llamacpp_harness._normalize import differences
from reference.llamacpp_harness._setup import fake_app, said
from tests.reference._asgi import call

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "llamacpp"
CASSETTES = sorted(RECORDINGS.glob("llamacpp-b*.jsonl"))


class PendingDifference(Exception):
    """The only differences are ones named in the reason (see KNOWN)."""


@dataclass(frozen=True)
class Known:
    reason: str
    applies: Callable[[Interaction], bool]  # to this recorded exchange
    line: re.Pattern[str]  # the difference lines it explains


# The prompt's length is the model's own tokenizer and chat template (the harness's tiny
# GGUF) and what its prompt cache kept from the previous request, and /v1/models' meta
# describes the GGUF file; the fake counts and describes its own way.
MODEL_DEPENDENT = Known(
    "model-dependent: prompt length in the model's tokenizer, the prompt cache, the GGUF's meta",
    lambda item: True,
    re.compile(
        r"(\.(usage\.(prompt_tokens|total_tokens|prompt_tokens_details\.cached_tokens)"
        r"|timings\.(prompt_n|cache_n)): real \d+ vs fake \d+"
        r"|^\$\.data\[0\]\.meta\.\w+: real .+ vs fake .+)$"
    ),
)
NOT_FIXED = "a harness finding not fixed in the fake yet"
KNOWN: tuple[Known, ...] = (
    Known(
        f"{NOT_FIXED}: nlohmann's parse_error message names the line, column and the last "
        'bytes read ("parse error at line 1, column 3: syntax error while parsing object key - '
        "invalid literal; last read: '{no'; expected string literal\"); the fake's is generic",
        lambda item: b"json.exception.parse_error" in item.body,
        re.compile(r'^\$\.error\.message: real "\[json\.exception\.parse_error\.101\]'),
    ),
)


def _streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


def _build(cassette: Path) -> int:
    return int(cassette.stem.removeprefix("llamacpp-b"))


def _differences(build: int, item: Interaction) -> list[str]:
    headers = dict(item.request_headers)
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {KEY}"  # redacted in the cassette
    app = fake_app(build, said(item.body, streamed=_streamed(item)))
    answer = call(app, item.method, item.path, body=item.request_body, headers=headers)
    lines = []
    if answer.status != item.status:
        lines.append(f"status: real {item.status} vs fake {answer.status}")
    real_type = item.response_headers.get("content-type")
    if real_type != answer.headers.get("content-type"):
        lines.append(f"content-type: real {real_type} vs fake {answer.headers.get('content-type')}")
    return lines + differences(item.body, answer.body, streamed=_streamed(item))


def _cases() -> list[object]:
    cases: list[object] = []
    for cassette in CASSETTES:
        build = _build(cassette)
        for number, item in enumerate(load(cassette).interactions):
            pending = [k for k in KNOWN if k.applies(item)]
            marks = [
                pytest.mark.xfail(
                    strict=True,
                    raises=PendingDifference,
                    reason="; ".join(k.reason for k in pending),
                )
            ]
            cases.append(
                pytest.param(
                    build,
                    item,
                    pending,
                    id=f"b{build}:{number}:{item.method} {item.path}",
                    marks=marks if pending else [],
                )
            )
    return cases


@pytest.mark.parametrize(("build", "item", "pending"), _cases())
def test_the_fake_answers_as_the_build_did(
    build: int, item: Interaction, pending: list[Known]
) -> None:
    lines = [line for line in _differences(build, item) if not MODEL_DEPENDENT.line.search(line)]
    unexplained = [line for line in lines if not any(k.line.search(line) for k in pending)]
    assert not unexplained, "\n".join(unexplained)
    if lines:
        raise PendingDifference("\n".join(lines))


def test_there_is_a_recording() -> None:
    assert CASSETTES, "recordings/llamacpp/ holds no cassette"

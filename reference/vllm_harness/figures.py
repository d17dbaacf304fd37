"""The figures table of docs/vllm-reference-harness.md: each committed cassette replayed against
today's fake, exchange by exchange (the same replay and normalization as
tests/reference/test_vllm_cassettes.py, without its KNOWN list).

    python -m reference.vllm_harness.figures [RELEASE ...]

Prints one markdown row per release: identical exchanges, and identical but for the
model-dependent default ``max_output_tokens`` of ``/v1/responses``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from fakes.record import Interaction, load
from reference.vllm_harness._normalize import differences
from reference.vllm_harness._setup import Setup, fake_app
from reference.vllm_harness._setups_file import read_environment, read_setups
from tests.reference._asgi import call

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"
_MODEL_DEPENDENT = re.compile(r"\.max_output_tokens: real \d+ vs fake \d+$")


def _version_key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def _headers(item: Interaction, setup: Setup) -> dict[str, str]:
    headers = dict(item.request_headers)
    keys = setup.options.get("api_keys") or []
    if "authorization" in headers and keys:
        headers["authorization"] = f"Bearer {keys[0]}"  # redacted in the cassette
    return headers


def replay(app: Any, setup: Setup, item: Interaction, *, sized: bool = False) -> list[str]:
    """One recorded exchange sent to the fake ``app``: its difference lines (none: identical).
    ``sized``: with the content-length header every HTTP client sends (the cassettes do not
    keep it), without which the fake's fast path hands the request on."""
    headers = _headers(item, setup)
    if sized:
        headers["content-length"] = str(len(item.request_body))
    answer = call(
        app,
        item.method,
        item.path,
        query=item.query,
        body=item.request_body,
        headers=headers,
    )
    lines = []
    if answer.status != item.status:
        lines.append(f"status: real {item.status} vs fake {answer.status}")
    if answer.complete != item.complete:
        lines.append(f"complete: real {item.complete} vs fake {answer.complete}")
    streamed = item.response_headers.get("content-type", "").startswith("text/event-stream")
    return lines + differences(item.body, answer.body, streamed=streamed)


def exchange_differences(cassette: Path) -> tuple[str, list[list[str]]]:
    """The release and, per recorded exchange, its difference lines against today's fake."""
    release, groups = read_setups(cassette)
    environment = read_environment(cassette)
    items = load(cassette).interactions
    out: list[list[str]] = []
    start = 0
    for setup, count in groups:
        app = fake_app(release, setup, environment)
        out.extend(replay(app, setup, item) for item in items[start : start + count])
        start += count
    return release, out


def row(cassette: Path) -> str:
    release, found = exchange_differences(cassette)
    total = len(found)
    same = sum(not lines for lines in found)
    but_model = sum(all(_MODEL_DEPENDENT.search(x) for x in lines) for lines in found)
    return f"| {release} | {same}/{total} | {but_model}/{total} |"


def main(argv: list[str]) -> int:
    cassettes = sorted(
        RECORDINGS.glob("vllm-*.jsonl"),
        key=lambda p: _version_key(p.name.removeprefix("vllm-").removesuffix(".jsonl")),
    )
    wanted = set(argv)
    for cassette in cassettes:
        release = cassette.name.removeprefix("vllm-").removesuffix(".jsonl")
        if not wanted or release in wanted:
            print(row(cassette))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

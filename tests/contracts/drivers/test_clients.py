"""What real client libraries do on key scenarios, through their adapters (no special-casing).

Each client's row states how it differs from the golden (what a correct driver reports);
a cell not listed under a client must match the golden exactly. Skipped when the client's
extra is not installed (``pip install -e '.[clients]'``).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from contracts.drivers import DRIVERS
from tests._tools import absent

from .cells import expected, outcomes

ABSENT = object()  # the key is left out of the outcome (e.g. no reasoning)

INLINE = "<think>The user asks about Paris; I will answer briefly.</think>It is sunny in Paris, 21 degrees."
NO_STREAM_USAGE = {"usage": None}  # did not ask for usage in the stream
THINK_INLINE = {"text": INLINE, "reasoning": ABSENT}  # no <think> parsing: tags stay in text
MAX_COMPLETION = {
    "sent": {
        "violations": [
            "/v1/chat/completions: sent max_completion_tokens (older backends only know max_tokens)"
        ]
    }
}
CELLS = [
    ("plain_completion", "vllm-0.24"),
    ("stream_usage", "vllm-0.4"),
    ("stream_usage", "vllm-0.24"),
    ("stream_usage_absent", "wire"),
    ("stream_cut", "vllm-0.9"),
    ("tool_call_stream", "vllm-0.24"),
    ("think_inline_stream", "vllm-0.9"),
    ("max_tokens_length", "vllm-0.24"),
]

ROWS: dict[str, tuple[str, dict[tuple[str, str], dict[str, Any]]]] = {
    "langchain-openai": (
        "langchain_openai",
        {
            ("stream_usage", "vllm-0.24"): NO_STREAM_USAGE,
            ("tool_call_stream", "vllm-0.24"): NO_STREAM_USAGE,
            ("think_inline_stream", "vllm-0.9"): THINK_INLINE | NO_STREAM_USAGE,
            ("max_tokens_length", "vllm-0.24"): MAX_COMPLETION,
        },
    ),
    "pydantic-ai": (
        "pydantic_ai",
        {
            # asks for stream usage, which vLLM 0.4 rejects
            ("stream_usage", "vllm-0.4"): {
                "text": "",
                "finish_reason": None,
                "usage": None,
                "error": {"kind": "bad_request", "status": 400},
            },
            # unknown usage becomes zeros
            ("stream_usage_absent", "wire"): {
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
            },
            ("think_inline_stream", "vllm-0.9"): THINK_INLINE,
            ("max_tokens_length", "vllm-0.24"): MAX_COMPLETION,
        },
    ),
    "litellm-openai": (
        "litellm",
        {
            ("stream_usage", "vllm-0.4"): NO_STREAM_USAGE,
            ("stream_usage", "vllm-0.24"): NO_STREAM_USAGE,
            # a cut connection becomes MidStreamFallbackError, status 500
            ("stream_cut", "vllm-0.9"): {"error": {"kind": "server", "status": 500}},
            ("tool_call_stream", "vllm-0.24"): NO_STREAM_USAGE,
            ("think_inline_stream", "vllm-0.9"): THINK_INLINE | NO_STREAM_USAGE,
        },
    ),
}
ROWS["litellm-hosted-vllm"] = ("litellm", ROWS["litellm-openai"][1])


def _apply(golden: dict[str, Any], differences: dict[str, Any]) -> dict[str, Any]:
    value = dict(golden)
    for key, change in differences.items():
        if change is ABSENT:
            value.pop(key, None)
        else:
            value[key] = change
    return value


@pytest.mark.parametrize("driver", list(ROWS))
def test_client_row(driver: str) -> None:
    module, differences = ROWS[driver]
    if importlib.util.find_spec(module) is None:
        absent("clients", f"{module} is not installed (pip install -e '.[clients]')")
    got = outcomes(DRIVERS.get(driver), CELLS)
    want = {cell: _apply(expected(*cell), differences.get(cell, {})) for cell in CELLS}
    assert got == want


def test_client_adapters_are_registered_with_their_extra() -> None:
    extras = {name: DRIVERS.get(name).extra for name in ROWS}
    assert extras == {
        "langchain-openai": "langchain",
        "pydantic-ai": "pydantic-ai",
        "litellm-openai": "litellm",
        "litellm-hosted-vllm": "litellm",
    }

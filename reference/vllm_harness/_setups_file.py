"""The setups beside a vLLM cassette: which fake (flags, script) answers which interactions.

``vllm-X.jsonl`` holds the real app's interactions in order; ``vllm-X.setups.json`` says, in
the same order, how many of them each setup produced. The replay test rebuilds one fake per
setup and sends its interactions in order (a script's rules count their uses). ``environment``
names the FastAPI, pydantic and openai-python releases the reference environment had (measured
by run.py; for recordings made before it measured them, ``environment_source`` says how they
were inferred); the fake is built with the same FastAPI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from reference.vllm_harness._setup import Setup

FORMAT = "llm-fakes-vllm-setups"
VERSION = 1


def setups_path(cassette: Path) -> Path:
    return cassette.with_name(cassette.name.removesuffix(".jsonl") + ".setups.json")


def write_setups(
    cassette: Path,
    release: str,
    groups: list[tuple[Setup, int]],
    environment: dict[str, str] | None = None,
) -> None:
    """``environment``: the reference environment's libraries (_environment.measure)."""
    value: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "release": release,
        **({"environment": environment} if environment else {}),
        "setups": [{**setup.to_json(), "interactions": count} for setup, count in groups],
    }
    setups_path(cassette).write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")


def read_setups(cassette: Path) -> tuple[str, list[tuple[Setup, int]]]:
    value = orjson.loads(setups_path(cassette).read_bytes())
    if value.get("format") != FORMAT or value.get("version") != VERSION:
        raise ValueError(f"{setups_path(cassette)}: not a {FORMAT} v{VERSION} file")
    groups = [(Setup.from_json(item), int(item["interactions"])) for item in value["setups"]]
    return str(value["release"]), groups


def read_environment(cassette: Path) -> dict[str, str]:
    """The libraries the recording's environment had ({} when the file does not say)."""
    value = orjson.loads(setups_path(cassette).read_bytes())
    return {str(k): str(v) for k, v in (value.get("environment") or {}).items()}

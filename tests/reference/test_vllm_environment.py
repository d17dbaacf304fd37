"""The reference environment's libraries: measured by the harness, kept beside each cassette,
and handed to the fake the replay builds (FastAPI words validation messages up to vLLM 0.25)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from reference.vllm_harness._environment import measure
from reference.vllm_harness._setup import Setup, fake_config
from reference.vllm_harness._setups_file import read_environment, write_setups

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"


def test_measure_asks_the_environments_own_python() -> None:
    found = measure(sys.executable)
    assert found["pydantic"] == importlib.metadata.version("pydantic")
    assert found["openai"] == importlib.metadata.version("openai")


def test_the_setups_file_keeps_the_environment_and_the_fake_takes_its_fastapi(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "vllm-0.11.1.jsonl"
    setup = Setup("probe/validation_error", {}, {})
    write_setups(cassette, "0.11.1", [(setup, 1)], {"fastapi": "0.123.10", "openai": "3.63.0"})
    environment = read_environment(cassette)
    assert environment == {"fastapi": "0.123.10", "openai": "3.63.0"}
    assert fake_config("0.11.1", setup, environment).fastapi == "0.123.10"
    assert fake_config("0.11.1", setup).fastapi is None  # the profile's own


def test_every_recording_names_its_fastapi() -> None:
    for setups in sorted(RECORDINGS.glob("vllm-*.setups.json")):
        cassette = setups.with_name(setups.name.replace(".setups.json", ".jsonl"))
        assert "fastapi" in read_environment(cassette), setups.name

"""Probing each built-in vLLM profile finds that profile; a changed knob is named exactly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import fakes.vllm
from fakes.probe import MAX_PROBES, MAX_REQUESTS, profile_yaml, to_json
from fakes.profiles import Knobs, Profile, builtin, load_override, with_knobs
from tests.fakes.probe.conftest import Counting, probe_app, vllm_app

VLLM = builtin("vllm")

# Knobs the fake is known not to honour exactly, by profile (none at present). A knob that
# nothing in the fake reads is a gap too: test_every_knob_is_read_by_the_fake finds those.
FAKE_GAPS: dict[str, set[str]] = {}

# Profiles the probe cannot tell apart yet: they differ only in knobs it does not read.
PROBE_TIES: dict[str, list[str]] = {
    # only responses_keys (0.11.0's /v1/responses body adds incomplete_details and
    # input/output_messages): the probe reads no responses body keys
    "vllm-0.10.2": ["vllm-0.10.2", "vllm-0.11"],
    "vllm-0.11": ["vllm-0.10.2", "vllm-0.11"],
    # the hermes parser's rewrite (a server flag the probe cannot set), /v1/messages' [DONE]
    # and /v1/responses body keys: the probe reads none of them
    "vllm-0.18": ["vllm-0.18", "vllm-0.19"],
    "vllm-0.19": ["vllm-0.18", "vllm-0.19"],
    # only the named tool stream's crash with auto tool parsing (a server flag the probe
    # cannot set)
    "vllm-0.6.0": ["vllm-0.6.0", "vllm-0.6.3"],
    "vllm-0.6.3": ["vllm-0.6.0", "vllm-0.6.3"],
    # only messages_start and FastAPI's wording: the probe reads neither /v1/messages nor
    # FastAPI's wording
    "vllm-0.12": ["vllm-0.12", "vllm-0.13"],
    "vllm-0.13": ["vllm-0.12", "vllm-0.13"],
    # only FastAPI's wording (fastapi, fastapi_endpoints): the probe reads neither
    "vllm-0.14": ["vllm-0.14", "vllm-0.15"],
    "vllm-0.15": ["vllm-0.14", "vllm-0.15"],
    "vllm-0.22": ["vllm-0.22", "vllm-0.23"],
    "vllm-0.23": ["vllm-0.22", "vllm-0.23"],
    # only messages_stop_sequence and messages_delta_null_stop_sequence: the probe reads no
    # /v1/messages
    "vllm-0.28": ["vllm-0.28", "vllm-0.29"],
    "vllm-0.29": ["vllm-0.28", "vllm-0.29"],
    # only responses_usage_input_keys: the probe reads no responses body keys
    "vllm-0.30": ["vllm-0.30", "vllm-0.31"],
    "vllm-0.31": ["vllm-0.30", "vllm-0.31"],
}


def test_every_knob_is_read_by_the_fake() -> None:
    """The probe only compares what the fake writes: a knob no code reads would match its
    own profile circularly, so every Knobs field must be read by the app or its writers."""
    folder = Path(fakes.vllm.__file__).parent
    source = "\n".join(path.read_text(encoding="utf-8") for path in folder.rglob("*.py"))
    unread = {name for name in Knobs.model_fields if not re.search(rf"knobs\.{name}\b", source)}
    known = set().union(*FAKE_GAPS.values())
    assert unread <= known, f"knobs nothing reads (implement them or list them as gaps): {unread}"


@pytest.mark.parametrize("profile", list(VLLM), ids=VLLM.names())
async def test_each_profile_is_its_own_best_match(profile: Profile) -> None:
    counted = Counting(vllm_app(profile))
    report = await probe_app(counted)
    layer = report.primary
    assert layer.backend == "vllm"
    assert [m.profile.name for m in layer.tied] == PROBE_TIES.get(profile.name, [profile.name])
    assert {d.knob for d in layer.best.differences} == FAKE_GAPS.get(profile.name, set())
    assert report.run.requests == len(counted.paths) <= MAX_PROBES <= MAX_REQUESTS


CHANGED = [
    ("vllm-0.9", "error_shape", "nested"),
    ("vllm-0.9", "id_hex_length", 16),
    ("vllm-0.9", "chat_id_prefix", "chat-"),
    ("vllm-0.6.4", "role_chunk_content", False),
    ("vllm-0.10.1", "not_found_param", True),
    ("vllm-0.18", "validation_error_type", "BadRequestError"),
    ("vllm-0.9", "auth_prefixes", ["/v1", "/v2"]),
    ("vllm-0.22", "usage_keys", ["prompt_tokens", "total_tokens", "completion_tokens"]),
]


@pytest.mark.parametrize(
    ("name", "knob", "value"), CHANGED, ids=[f"{c[0]}-{c[1]}" for c in CHANGED]
)
async def test_one_changed_knob_is_the_only_difference(name: str, knob: str, value: Any) -> None:
    base = VLLM.get(name)
    changed = with_knobs(base, {knob: value})
    report = await probe_app(vllm_app(changed))
    layer = report.primary
    gaps = FAKE_GAPS.get(name, set())
    assert layer.best.profile.name == name
    differences = {d.knob: d for d in layer.best.differences if d.knob not in gaps}
    assert list(differences) == [knob]
    difference = differences[knob]
    assert difference.observed == (tuple(value) if isinstance(value, list) else value)
    assert difference.evidence  # the bytes it was read from


async def test_out_profile_reproduces_the_server(tmp_path: Path) -> None:
    changed = with_knobs(VLLM.get("vllm-0.9"), {"error_shape": "nested", "id_hex_length": 16})
    report = await probe_app(vllm_app(changed))
    path = tmp_path / "probed.yaml"
    path.write_text(profile_yaml(report.primary, "http://probe.test"), encoding="utf-8")
    loaded = load_override(path, VLLM.get("vllm-0.9"), VLLM)
    assert loaded.knobs == changed.knobs
    again = await probe_app(vllm_app(loaded))
    assert {d.knob for d in again.primary.best.differences} == {"error_shape", "id_hex_length"}


async def test_unobservable_knobs_are_listed_with_a_reason() -> None:
    report = await probe_app(vllm_app(VLLM.get("vllm-0.9"), api_keys=()), api_key=None)
    unobserved = report.primary.observed.unobserved
    assert set(unobserved) >= {"request_fields", "stream_error_style", "auth_prefixes"}
    assert "--api-key" in unobserved["auth_prefixes"]
    # without a key, 0.26 and 0.27 differ in auth_prefixes (unobserved) and in how "tools": []
    # is refused (param "tools" from 0.27, recorded): the probe still tells them apart
    apart = await probe_app(vllm_app(VLLM.get("vllm-0.26"), api_keys=()), api_key=None)
    assert [m.profile.name for m in apart.primary.tied] == ["vllm-0.26"]
    # 0.10.2 and 0.11 differ only in responses_keys, which it does not read: a tie
    tie = await probe_app(vllm_app(VLLM.get("vllm-0.11")))
    assert [m.profile.name for m in tie.primary.tied] == ["vllm-0.10.2", "vllm-0.11"]


async def test_reasoning_keys_seen_with_a_parser() -> None:
    profile = VLLM.get("vllm-0.12")
    report = await probe_app(vllm_app(profile, reasoning_parser="deepseek_r1"))
    assert report.primary.observed.knobs["reasoning_keys"].value == (
        "reasoning",
        "reasoning_content",
    )
    # 0.13 differs only where the probe does not look (PROBE_TIES)
    assert [m.profile.name for m in report.primary.tied] == ["vllm-0.12", "vllm-0.13"]


async def test_json_report_is_machine_readable() -> None:
    report = await probe_app(vllm_app(with_knobs(VLLM.get("vllm-0.9"), {"error_shape": "nested"})))
    data = to_json(report)
    assert data["format"] == "llm-fakes-probe"
    (layer,) = data["layers"]
    assert layer["best"] == "vllm-0.9"
    assert [d["knob"] for d in layer["differences"]] == ["error_shape"]
    assert layer["differences"][0]["expected"] == "flat"
    assert layer["differences"][0]["evidence"].startswith('invalid -> 400: {"error":')

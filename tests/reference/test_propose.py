"""The proposed profile: the knobs a release's recorded answers imply against the fake of an
earlier profile, checked on committed recordings (no vLLM needed) and on small exchanges."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from fakes.profiles import Profile, builtin, resolve_vllm_profile
from fakes.profiles._registry import load_override
from fakes.record import Chunk, Interaction, load
from fakes.vllm import create_vllm_app
from reference.vllm_harness._normalize import differences
from reference.vllm_harness._propose import Exchange, Proposal, propose, render
from reference.vllm_harness._setup import fake_config
from reference.vllm_harness._setups_file import read_setups
from tests.reference._asgi import call

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings" / "vllm"


def _profile(release: str) -> Profile:
    return resolve_vllm_profile(release, None)[0]


def _streamed(item: Interaction) -> bool:
    return item.response_headers.get("content-type", "").startswith("text/event-stream")


def _against(release: str, parent: Profile) -> list[Exchange]:
    """The release's recorded answers against the fake of ``parent`` (as if no profile named
    the release), diffed as the harness does."""
    cassette = RECORDINGS / f"vllm-{release}.jsonl"
    _, groups = read_setups(cassette)
    items = load(cassette).interactions
    exchanges = []
    start = 0
    for setup, count in groups:
        app = create_vllm_app(dataclasses.replace(fake_config(release, setup), profile=parent))
        for item in items[start : start + count]:
            answer = call(
                app,
                item.method,
                item.path,
                query=item.query,
                body=item.request_body,
                headers=dict(item.request_headers),
            )
            fake = dataclasses.replace(
                item,
                status=answer.status,
                response_headers=answer.headers,
                chunks=(Chunk(0.0, answer.body),),
                complete=answer.complete,
            )
            lines = differences(item.body, answer.body, streamed=_streamed(item))
            if answer.status != item.status:
                lines.insert(0, f"status: real {item.status} vs fake {answer.status}")
            exchanges.append(Exchange(setup.name, item, fake, tuple(lines)))
        start += count
    return exchanges


def _loaded(proposal: Proposal, tmp_path: Path) -> Profile:
    path = tmp_path / "proposed.yaml"
    path.write_text(render(proposal), encoding="utf-8")
    return load_override(path, proposal.parent, builtin("vllm"))


def test_0_12_against_0_11_1_proposes_the_16_hex_ids(tmp_path: Path) -> None:
    proposal = propose("0.12.0", _profile("0.11.1"), _against("0.12.0", _profile("0.11.1")))
    assert proposal.knobs == {"id_hex_length": 16}
    assert '$.id: real "chatcmpl-<hex16>" vs fake "chatcmpl-<hex32>"' in {
        e.line for e in proposal.evidence["id_hex_length"]
    }
    loaded = _loaded(proposal, tmp_path)
    assert loaded.knobs.id_hex_length == 16
    assert (loaded.name, loaded.reference) == ("vllm-0.12", "0.12.0")


def test_0_34_against_0_33_proposes_what_the_0_34_profile_sets(tmp_path: Path) -> None:
    newest = _profile("0.34.0")
    proposal = propose("0.34.0", _profile("0.33.0"), _against("0.34.0", _profile("0.33.0")))
    assert proposal.knobs == {
        "message_keys": list(newest.knobs.message_keys),
        "usage_keys": list(newest.knobs.usage_keys),
    }
    # "tools": [] dropped (empty_tools) is not inferred: it is listed for review
    assert any("request_empty_tools" in e.exchange for e in proposal.unexplained)
    loaded = _loaded(proposal, tmp_path)
    assert loaded.knobs.message_keys == newest.knobs.message_keys
    # no versions key among the knobs (a difference comment may name weight_versions)
    assert not re.search(r"^\s*versions:", render(proposal).split("knobs:")[1], re.M)


def _item(path: str, status: int, body: object, method: str = "POST") -> Interaction:
    return Interaction(
        method,
        path,
        "",
        {},
        b"{}",
        status,
        {"content-type": "application/json"},
        (Chunk(0.0, json.dumps(body).encode()),),
    )


def _exchange(case: str, real: Interaction, fake: Interaction) -> Exchange:
    lines = tuple(differences(real.body, fake.body, streamed=False))
    if real.status != fake.status:
        lines = (f"status: real {real.status} vs fake {fake.status}", *lines)
    return Exchange(case, real, fake, lines)


def test_error_knobs_follow_the_real_error() -> None:
    parent = _profile("0.12.0")  # nested errors, no param on unknown models
    message = "The model `nope` does not exist."
    real = _item(
        "/v1/chat/completions",
        404,
        {"error": {"message": message + " Valid aliases: fake-model", "param": "model"}},
    )
    fake = _item("/v1/chat/completions", 404, {"error": {"message": message, "param": None}})
    proposal = propose("0.99.0", parent, [_exchange("probe/unknown_model", real, fake)])
    assert proposal.knobs == {"not_found_param": True, "not_found_lists_models": True}
    assert proposal.unexplained == []


def test_a_flat_error_and_a_fingerprint() -> None:
    parent = _profile("0.12.0")
    flat = _item("/v1/chat/completions", 400, {"object": "error", "message": "bad"})
    nested = _item("/v1/chat/completions", 400, {"error": {"message": "bad"}})
    chat = {"id": "chatcmpl-0123456789abcdef", "system_fingerprint": None}
    fingerprinted = {**chat, "system_fingerprint": "vllm-0.99.0-0123abcd"}
    proposal = propose(
        "0.99.0",
        parent,
        [
            _exchange("probe/validation_error", flat, nested),
            _exchange(
                "probe/chat_eos",
                _item("/v1/chat/completions", 200, fingerprinted),
                _item("/v1/chat/completions", 200, chat),
            ),
        ],
    )
    assert proposal.knobs == {"error_shape": "flat", "system_fingerprint": True}


def test_disagreeing_exchanges_propose_nothing_for_that_knob() -> None:
    parent = _profile("0.11.1")  # 32 hex
    short, long = "chatcmpl-0123456789abcdef", "chatcmpl-" + "0" * 31 + "1"
    fake = _item("/v1/chat/completions", 200, {"id": "chatcmpl-" + "f" * 32})
    found = [
        _exchange("a", _item("/v1/chat/completions", 200, {"id": short}), fake),
        _exchange("b", _item("/v1/completions", 200, {"id": short}), fake),
        _exchange("c", _item("/v1/chat/completions", 200, {"id": long}), fake),
    ]
    assert propose("0.99.0", parent, found).knobs == {"id_hex_length": 16}
    # two bodies whose keys no one order explains: listed, not proposed
    fake_body = _item("/v1/chat/completions", 200, {"id": short, "object": "x"})
    mixed = [
        _exchange("d", _item("/v1/chat/completions", 200, {"object": "x", "id": short}), fake_body),
        _exchange("e", _item("/v1/chat/completions", 200, {"id": short, "usage": 1}), fake_body),
    ]
    proposal = propose("0.99.0", _profile("0.12.0"), mixed)
    assert "chat_response_keys" not in proposal.knobs
    assert proposal.conflicts["chat_response_keys"] == [
        '["object","id"] (d POST /v1/chat/completions)',
        '["id","usage"] (e POST /v1/chat/completions)',
    ]
    assert "# Knobs the exchanges disagree on" in render(proposal)


def test_a_missing_responses_route() -> None:
    real = _item("/v1/responses", 404, {"detail": "Not Found"})
    fake = _item("/v1/responses", 200, {"id": "resp_" + "0" * 16})
    proposal = propose("0.99.0", _profile("0.12.0"), [_exchange("probe/responses", real, fake)])
    assert proposal.knobs == {"responses": "absent"}
    assert "# Unexplained" not in render(proposal)

"""``/v1/responses`` streaming per release, for a plain (non-harmony) model.

The expected item events were built with the openai types each release's code constructs
(``openai.types.responses``, the newest openai its requirement admits), following
``_process_simple_streaming_events`` of 0.10.2-0.16 (every delta indexed, "" sent), 0.17.1
(content_index 0, "" still sent, the item closed), 0.18.0
(empty deltas skipped, the item left open after an empty last step), 0.21.0
(SimpleStreamingEventProcessor), 0.32.0 (msg_ ids, no summary) and 0.33.0 (status by
finish). ``ITEM`` stands for the streamed message item's id.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from fakes.http.server import live
from fakes.model.script import Reply, Rule, Script
from fakes.profiles import resolve_vllm_profile
from fakes.vllm._state import VllmConfig
from fakes.vllm.app import create_vllm_app

HI = Script(rules=(Rule(reply=Reply(text="Hi there")),))
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

STOP: dict[str, list[str]] = {
    "0.12.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":1,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":2,"delta":" there","item_id":"ITEM","logprobs":[],"output_ind'
        'ex":0,"sequence_number":5,"type":"response.output_text.delta"}',
        '{"content_index":3,"delta":"","item_id":"ITEM","logprobs":[],"output_index":0,'
        '"sequence_number":6,"type":"response.output_text.delta"}',
        '{"content_index":4,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":7,"text":"Hi there","type":"response.output_text.done"}',
        '{"content_index":5,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi there","type":"output_text","logprobs":null},"sequence_number":8,"t'
        'ype":"response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi there","type":"ou'
        'tput_text","logprobs":null}],"role":"assistant","status":"completed","type":"m'
        'essage","phase":null,"summary":[]},"output_index":0,"sequence_number":9,"type"'
        ':"response.output_item.done"}',
    ],
    "0.17.1": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"delta":" there","item_id":"ITEM","logprobs":[],"output_ind'
        'ex":0,"sequence_number":5,"type":"response.output_text.delta"}',
        '{"content_index":0,"delta":"","item_id":"ITEM","logprobs":[],"output_index":0,'
        '"sequence_number":6,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":7,"text":"Hi there","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi there","type":"output_text","logprobs":null},"sequence_number":8,"t'
        'ype":"response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi there","type":"ou'
        'tput_text","logprobs":null}],"role":"assistant","status":"completed","type":"m'
        'essage","phase":null,"summary":[]},"output_index":0,"sequence_number":9,"type"'
        ':"response.output_item.done"}',
    ],
    "0.18.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"delta":" there","item_id":"ITEM","logprobs":[],"output_ind'
        'ex":0,"sequence_number":5,"type":"response.output_text.delta"}',
    ],
    "0.21.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"delta":" there","item_id":"ITEM","logprobs":[],"output_ind'
        'ex":0,"sequence_number":5,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":6,"text":"Hi there","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi there","type":"output_text","logprobs":null},"sequence_number":7,"t'
        'ype":"response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi there","type":"ou'
        'tput_text","logprobs":null}],"role":"assistant","status":"completed","type":"m'
        'essage","phase":null,"summary":[]},"output_index":0,"sequence_number":8,"type"'
        ':"response.output_item.done"}',
    ],
    "0.32.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"delta":" there","item_id":"ITEM","logprobs":[],"output_ind'
        'ex":0,"sequence_number":5,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":6,"text":"Hi there","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi there","type":"output_text","logprobs":null},"sequence_number":7,"t'
        'ype":"response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi there","type":"ou'
        'tput_text","logprobs":null}],"role":"assistant","status":"completed","type":"m'
        'essage","phase":null},"output_index":0,"sequence_number":8,"type":"response.ou'
        'tput_item.done"}',
    ],
}

LENGTH: dict[str, list[str]] = {
    "0.18.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":5,"text":"Hi","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi","type":"output_text","logprobs":null},"sequence_number":6,"type":"'
        'response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi","type":"output_t'
        'ext","logprobs":null}],"role":"assistant","status":"completed","type":"message'
        '","phase":null,"summary":[]},"output_index":0,"sequence_number":7,"type":"resp'
        'onse.output_item.done"}',
    ],
    "0.32.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":5,"text":"Hi","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi","type":"output_text","logprobs":null},"sequence_number":6,"type":"'
        'response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi","type":"output_t'
        'ext","logprobs":null}],"role":"assistant","status":"completed","type":"message'
        '","phase":null},"output_index":0,"sequence_number":7,"type":"response.output_i'
        'tem.done"}',
    ],
    "0.33.0": [
        '{"item":{"id":"ITEM","content":[],"role":"assistant","status":"in_progress","t'
        'ype":"message","phase":null},"output_index":0,"sequence_number":2,"type":"resp'
        'onse.output_item.added"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"","type":"output_text","logprobs":[]},"sequence_number":3,"type":"resp'
        'onse.content_part.added"}',
        '{"content_index":0,"delta":"Hi","item_id":"ITEM","logprobs":[],"output_index":'
        '0,"sequence_number":4,"type":"response.output_text.delta"}',
        '{"content_index":0,"item_id":"ITEM","logprobs":[],"output_index":0,"sequence_n'
        'umber":5,"text":"Hi","type":"response.output_text.done"}',
        '{"content_index":0,"item_id":"ITEM","output_index":0,"part":{"annotations":[],'
        '"text":"Hi","type":"output_text","logprobs":null},"sequence_number":6,"type":"'
        'response.content_part.done"}',
        '{"item":{"id":"ITEM","content":[{"annotations":[],"text":"Hi","type":"output_t'
        'ext","logprobs":null}],"role":"assistant","status":"incomplete","type":"messag'
        'e","phase":null},"output_index":0,"sequence_number":7,"type":"response.output_'
        'item.done"}',
    ],
}


async def _stream(vllm: Any, version: str, max_tokens: int) -> tuple[str, list[dict[str, Any]]]:
    body = {"model": "fake-model", "input": "hi", "max_output_tokens": max_tokens, "stream": True}
    async with vllm(version, script=HI) as client:
        response = await client.post("/v1/responses", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return response.text, [json.loads(b.split("\ndata: ", 1)[1]) for b in _blocks(response.text)]


def _blocks(text: str) -> list[str]:
    assert text.endswith("\n\n") and "[DONE]" not in text
    return text[: -len("\n\n")].split("\n\n")


def _item_events(text: str) -> tuple[str, list[str]]:
    """The streamed item's id, and the events between in_progress and completed with that id
    replaced by ITEM."""
    blocks = _blocks(text)
    names = [b.split("\n", 1)[0] for b in blocks]
    assert names[:2] == ["event: response.created", "event: response.in_progress"]
    assert names[-1] == "event: response.completed"
    for name, block in zip(names, blocks, strict=True):
        payload = json.loads(block.split("\ndata: ", 1)[1])
        assert name == f"event: {payload['type']}"  # one event line, then one data line
    middle = [b.split("\ndata: ", 1)[1] for b in blocks[2:-1]]
    found = re.search(r'"item":\{"id":"([^"]+)"', middle[0]) if middle else None
    item = found.group(1) if found else ""
    return item, [m.replace(f'"{item}"', '"ITEM"') for m in middle]


@pytest.mark.parametrize("version", sorted(STOP))
async def test_responses_stream_and_done_item_summary_byte_exact_on_a_stop(
    vllm: Any, version: str
) -> None:
    text, events = await _stream(vllm, version, 50)
    _, middle = _item_events(text)
    assert middle == STOP[version]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))


@pytest.mark.parametrize("version", sorted(LENGTH))
async def test_responses_done_item_status_byte_exact_on_a_length_finish(
    vllm: Any, version: str
) -> None:
    text, events = await _stream(vllm, version, 1)
    _, middle = _item_events(text)
    assert middle == LENGTH[version]
    assert events[-1]["response"]["status"] == "incomplete"


@pytest.mark.parametrize(
    ("version", "pattern"),
    [
        ("0.12.0", UUID),
        ("0.17.0", UUID),
        ("0.18.0", "[0-9a-f]{16}"),
        ("0.31.0", "[0-9a-f]{16}"),
        ("0.32.0", "msg_[0-9a-f]{16}"),
    ],
)
async def test_responses_item_id_by_release(vllm: Any, version: str, pattern: str) -> None:
    item, _ = _item_events((await _stream(vllm, version, 50))[0])
    assert re.fullmatch(pattern, item)


@pytest.mark.parametrize(("version", "reuses"), [("0.21.0", False), ("0.32.0", True)])
async def test_responses_completed_reuses_items(vllm: Any, version: str, reuses: bool) -> None:
    text, events = await _stream(vllm, version, 50)
    item, _ = _item_events(text)
    final = events[-1]["response"]["output"][0]
    assert (final["id"] == item) is reuses
    assert final["id"].startswith("msg_")


async def test_responses_stream_skip_empty_leaves_the_item_open(vllm: Any) -> None:
    _, events = await _stream(vllm, "0.20.0", 50)
    types = [e["type"] for e in events]
    assert "response.output_item.done" not in types
    assert types[-1] == "response.completed"
    assert events[-1]["response"]["status"] == "completed"


async def test_older_releases_still_fail_to_stream(vllm: Any) -> None:
    body = {"model": "fake-model", "input": "hi", "stream": True}
    async with vllm("0.10.0") as client:
        assert (await client.post("/v1/responses", json=body)).status_code == 500


def _profile(version: str) -> Any:
    return resolve_vllm_profile(version, None)[0]


def test_0_10_2_cuts_the_stream_where_openai_refuses_response_completed() -> None:
    # 0.10.2-0.11.0 validate response.completed with the installed openai's Response type,
    # which (openai 3.x) requires usage.input_tokens_details.cache_write_tokens: the events up
    # to output_item.done go out, then the server drops the socket (the harness recorded it)
    body = {"model": "fake-model", "input": "hi", "stream": True}
    received = b""
    with (
        live(create_vllm_app(VllmConfig(_profile("0.10.2"), "0.10.2", script=HI))) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        client.stream("POST", "/v1/responses", json=body) as response,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_raw():
                received += chunk
    names = re.findall(r"^event: (\S+)$", received.decode(), flags=re.MULTILINE)
    assert names[:2] == ["response.created", "response.in_progress"]
    assert names[-1] == "response.output_item.done"
    created = json.loads(received.split(b"\ndata: ", 1)[1].split(b"\n\n", 1)[0])
    assert isinstance(created["response"]["created_at"], float)  # openai's Response type
    assert list(created["response"])[:3] == ["id", "access_programs", "created_at"]


THINK = Script(rules=(Rule(reply=Reply(reasoning="Let me think", text="Hi")),))


@pytest.mark.parametrize(
    ("version", "names"),
    [
        # 0.10.2-0.17: an output_text part, every delta counted, no part done; the message is
        # announced under the reasoning item's id (0.12.0 serving_responses.py:1226-1370)
        ("0.12.0", ["output_item.added", "content_part.added", "reasoning_text.delta"]),
        # 0.18-0.31: vllm's own reasoning_part events (0.21.0 streaming_events.py:932-1010)
        ("0.21.0", ["output_item.added", "reasoning_part.added", "reasoning_text.delta"]),
        # 0.32+: openai's content_part events with a reasoning_text part
        ("0.34.0", ["output_item.added", "content_part.added", "reasoning_text.delta"]),
    ],
)
async def test_reasoning_streams_first_as_a_reasoning_item(
    vllm: Any, version: str, names: list[str]
) -> None:
    body = {"model": "fake-model", "input": "hi", "stream": True}
    async with vllm(version, script=THINK, reasoning_parser="deepseek_r1") as client:
        response = await client.post("/v1/responses", json=body)
    blocks = _blocks(response.text)
    payloads = [json.loads(b.split("\ndata: ", 1)[1]) for b in blocks]
    types = [p["type"].removeprefix("response.") for p in payloads]
    assert types[2:5] == names
    assert payloads[2]["item"]["type"] == "reasoning"
    deltas = [p for p in payloads if p["type"] == "response.reasoning_text.delta"]
    assert "".join(p["delta"] for p in deltas) == "Let me think"
    message = next(
        p
        for p in payloads
        if p["type"] == "response.output_item.added" and p["item"]["type"] == "message"
    )
    announced_under_reasoning_id = message["item"]["id"] == payloads[2]["item"]["id"]
    assert announced_under_reasoning_id is (version == "0.12.0")
    if version != "0.12.0":
        assert "response.reasoning_text.done" in [p["type"] for p in payloads]
        reasoning_id = payloads[2]["item"]["id"]
        closing = [
            p["type"]
            for p in payloads
            if p.get("item_id") == reasoning_id and p["type"].endswith("part.done")
        ]
        assert closing == ["response." + names[1].replace(".added", ".done")]


# 0.18.0 responses/serving.py:1370-1545 with deepseek_r1 (recorded the same on 0.18.0 and
# 0.20.0): the reasoning item with vllm's reasoning_part events, closed at the first content
# delta; then the message item, left open after the EOS step's empty delta. RS and MSG stand
# for the two items' ids.
SKIP_EMPTY_REASONING = [
    '{"item":{"id":"RS","summary":[],"type":"reasoning","content":null,"encrypted_content":nu'
    'll,"status":"in_progress"},"output_index":0,"sequence_number":2,"type":"response.output_'
    'item.added"}',
    '{"content_index":0,"item_id":"RS","output_index":0,"part":{"text":"","type":"reasoning_t'
    'ext"},"sequence_number":3,"type":"response.reasoning_part.added"}',
    '{"content_index":0,"delta":"Let","item_id":"RS","output_index":0,"sequence_number":4,"ty'
    'pe":"response.reasoning_text.delta"}',
    '{"content_index":0,"delta":" me","item_id":"RS","output_index":0,"sequence_number":5,"ty'
    'pe":"response.reasoning_text.delta"}',
    '{"content_index":0,"delta":" think","item_id":"RS","output_index":0,"sequence_number":6,'
    '"type":"response.reasoning_text.delta"}',
    '{"content_index":0,"item_id":"RS","output_index":0,"sequence_number":7,"text":"Let me th'
    'ink","type":"response.reasoning_text.done"}',
    '{"content_index":0,"item_id":"RS","output_index":0,"part":{"text":"Let me think","type":'
    '"reasoning_text"},"sequence_number":8,"type":"response.reasoning_part.done"}',
    '{"item":{"id":"RS","summary":[],"type":"reasoning","content":[{"text":"Let me think","ty'
    'pe":"reasoning_text"}],"encrypted_content":null,"status":"completed"},"output_index":0,"'
    'sequence_number":9,"type":"response.output_item.done"}',
    '{"item":{"id":"MSG","content":[],"role":"assistant","status":"in_progress","type":"messa'
    'ge","phase":null},"output_index":1,"sequence_number":10,"type":"response.output_item.add'
    'ed"}',
    '{"content_index":0,"item_id":"MSG","output_index":1,"part":{"annotations":[],"text":"","'
    'type":"output_text","logprobs":[]},"sequence_number":11,"type":"response.content_part.ad'
    'ded"}',
    '{"content_index":0,"delta":"Hi","item_id":"MSG","logprobs":[],"output_index":1,"sequence'
    '_number":12,"type":"response.output_text.delta"}',
]


async def _reasoning_stream(vllm: Any, version: str, script: Script) -> tuple[str, str, list[str]]:
    """The reasoning and message items' ids, and the events between in_progress and completed
    with those ids replaced by RS and MSG."""
    body = {"model": "fake-model", "input": "hi", "stream": True}
    async with vllm(version, script=script, reasoning_parser="deepseek_r1") as client:
        response = await client.post("/v1/responses", json=body)
    assert response.status_code == 200
    middle = [b.split("\ndata: ", 1)[1] for b in _blocks(response.text)[2:-1]]
    added = [json.loads(m)["item"] for m in middle if '"response.output_item.added"' in m]
    ids = {item["type"]: item["id"] for item in added}
    events = [m.replace(f'"{ids["reasoning"]}"', '"RS"') for m in middle]
    if "message" in ids:
        events = [m.replace(f'"{ids["message"]}"', '"MSG"') for m in events]
    return ids["reasoning"], ids.get("message", ""), events


@pytest.mark.parametrize("version", ["0.18.0", "0.19.1", "0.20.0"])
async def test_skip_empty_streams_send_the_reasoning_item_with_reasoning_part_events(
    vllm: Any, version: str
) -> None:
    # responses_reasoning_part_events "reasoning_part" from 0.18 (was 0.21)
    reasoning_id, message_id, events = await _reasoning_stream(vllm, version, THINK)
    assert events == SKIP_EMPTY_REASONING
    # responses_message_after_reasoning_uuid: the message item after the reasoning item
    # gets str(uuid.uuid4()), the reasoning item random_uuid()
    assert re.fullmatch("[0-9a-f]{16}", reasoning_id)
    assert re.fullmatch(UUID, message_id)


async def test_responses_message_after_reasoning_uuid_ends_at_0_21(vllm: Any) -> None:
    assert _profile("0.20.0").knobs.responses_message_after_reasoning_uuid
    assert not _profile("0.21.0").knobs.responses_message_after_reasoning_uuid
    reasoning_id, message_id, _ = await _reasoning_stream(vllm, "0.21.0", THINK)
    assert re.fullmatch("[0-9a-f]{16}", reasoning_id)
    assert re.fullmatch("[0-9a-f]{16}", message_id)


async def test_a_skip_empty_reasoning_item_left_last_is_closed_at_the_end(vllm: Any) -> None:
    # 0.20 with deepseek_r1 and hermes: an answer that is all reasoning leaves no delta after
    # it (the tool parser swallows the EOS step), and serving.py:1824-1872 closes the
    # reasoning item after the loop; no message item follows
    only_thinking = Script(rules=(Rule(reply=Reply(reasoning="Let me think", text="")),))
    body = {"model": "fake-model", "input": "hi", "stream": True}
    options = {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"}
    async with vllm(
        "0.20.0", script=only_thinking, reasoning_parser="deepseek_r1", **options
    ) as client:
        response = await client.post("/v1/responses", json=body)
    middle = [json.loads(b.split("\ndata: ", 1)[1]) for b in _blocks(response.text)[2:-1]]
    assert [e["type"].removeprefix("response.") for e in middle] == [
        "output_item.added",
        "reasoning_part.added",
        "reasoning_text.delta",
        "reasoning_text.delta",
        "reasoning_text.delta",
        "reasoning_text.done",
        "reasoning_part.done",
        "output_item.done",
    ]
    assert middle[-1]["item"]["content"] == [{"text": "Let me think", "type": "reasoning_text"}]


TOOL = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}


async def _tool_stream(vllm: Any, version: str, *, flags: bool, text: str) -> list[dict[str, Any]]:
    script = Script(rules=(Rule(reply=Reply(text=text)),))
    options: dict[str, Any] = (
        {"enable_auto_tool_choice": True, "tool_call_parser": "hermes"} if flags else {}
    )
    body = {"model": "fake-model", "input": "hi", "stream": True, "tools": [TOOL]}
    async with vllm(version, script=script, **options) as client:
        response = await client.post("/v1/responses", json=body)
    assert response.status_code == 200
    return [json.loads(b.split("\ndata: ", 1)[1]) for b in _blocks(response.text)]


@pytest.mark.parametrize(
    ("version", "flags", "closes"),
    [
        ("0.18.0", True, False),  # the old hermes parser passes the EOS step on as content ""
        ("0.20.0", True, True),  # the rewritten one yields None: the last delta has text
        ("0.20.0", False, False),  # no tool parser: DeltaMessage(content="") as ever
        ("0.21.0", False, True),  # the state machine always closes
    ],
)
async def test_responses_tool_parser_swallows_eos_closes_the_message_item(
    vllm: Any, version: str, flags: bool, closes: bool
) -> None:
    events = await _tool_stream(vllm, version, flags=flags, text="Hi there")
    types = [e["type"].removeprefix("response.") for e in events]
    done = ["output_text.done", "content_part.done", "output_item.done"]
    assert (types[-4:-1] == done) is closes
    assert types[-1] == "completed"
    if closes:
        assert events[-2]["item"]["content"][0]["text"] == "Hi there"
        assert events[-4]["text"] == "Hi there"


async def test_responses_tool_parser_swallows_eos_an_empty_answer_opens_no_item(
    vllm: Any,
) -> None:
    # every step of an empty answer is None from 0.20's hermes parser: no first delta, so no
    # output_item.added at all (0.20.0 serving.py:1385-1386); without the parser the EOS
    # step's "" opens the message item
    assert _profile("0.20.0").knobs.responses_tool_parser_swallows_eos
    assert _profile("0.19.1").knobs.responses_tool_parser_swallows_eos  # its rewritten parser
    assert not _profile("0.18.0").knobs.responses_tool_parser_swallows_eos
    with_parser = await _tool_stream(vllm, "0.20.0", flags=True, text="")
    without = await _tool_stream(vllm, "0.20.0", flags=False, text="")
    assert [e["type"] for e in with_parser] == [
        "response.created",
        "response.in_progress",
        "response.completed",
    ]
    assert [e["type"] for e in without][2:4] == [
        "response.output_item.added",
        "response.content_part.added",
    ]

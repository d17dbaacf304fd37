"""The console's server side: event stream, paging, controls, equivalents, saving."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fakes.console import Hub, safe_path
from fakes.console._save import SaveError
from fakes.http.requestlog import RequestLog
from fakes.http.server import LiveServer, live
from fakes.record import Replayer, load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, events, vllm_config

STREAM = {**CHAT, "stream": True}


@pytest.mark.live
def test_events_stream_new_and_updated_exchanges() -> None:
    app = create_vllm_app(vllm_config("0.9.2"))
    with live(app) as server:
        lines: list[str] = []
        ready = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", f"{server.url}/_fake/events", timeout=5) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                for line in response.iter_lines():
                    ready.set()
                    lines.append(line)
                    if line.startswith("data:") and '"complete":true' in line:
                        return

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        assert ready.wait(5)
        httpx.post(f"{server.url}/v1/chat/completions", json=STREAM, timeout=5)
        thread.join(5)
    kinds = [line.removeprefix("event: ") for line in lines if line.startswith("event: ")]
    assert kinds[0] == "hello" and kinds[1] == "new" and kinds[-1] == "update"
    last = orjson.loads(lines[-1].removeprefix("data: "))
    assert last["status"] == 200 and last["streamed"] and last["ttft"] is not None
    assert last["path"] == "/v1/chat/completions" and last["model"] == "fake-model"
    assert "json" not in last  # rows carry no bodies


async def test_a_subscriber_that_falls_behind_is_dropped_and_never_blocks() -> None:
    log = RequestLog(100)
    hub = Hub(log, queue_size=3)
    stream = hub.stream()
    # subscribed (the hello is out), then it never reads again
    assert await anext(stream) == b"retry: 1000\nevent: hello\ndata: {}\n\n"
    assert len(hub.subscribers) == 1
    for _ in range(50):  # the log is written synchronously: nothing here can wait for a reader
        log.start("POST", "/v1/chat/completions", "", [], b"{}")
    assert hub.subscribers == []  # dropped at the first overflow
    told = [await anext(stream) for _ in range(3)]
    assert told[-1] == b"event: dropped\ndata: {}\n\n"  # the last word, then the end
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_a_keeping_up_subscriber_gets_every_event() -> None:
    log = RequestLog(100)
    hub = Hub(log, queue_size=3)
    stream = hub.stream()
    await anext(stream)
    got = []
    for number in range(10):
        log.start("POST", f"/p{number}", "", [], b"")
        got.append(await anext(stream))
    assert [orjson.loads(e.split(b"data: ")[1])["path"] for e in got] == [
        f"/p{n}" for n in range(10)
    ]
    await stream.aclose()


def _fill(log: RequestLog, count: int) -> None:
    body = orjson.dumps(CHAT)
    for _ in range(count):
        entry = log.start("POST", "/v1/chat/completions", "", [], body)
        entry.status = 200
        entry.chunks.append((0.001, b'{"ok":true}'))
        entry.finished = entry.started + 0.002
        entry.complete = True


async def test_ten_thousand_requests_page_through_in_order(vllm: Any) -> None:
    async with vllm("0.9.2", log_limit=10_000) as client:
        log = client.app.state.fake.log
        _fill(log, 12_000)  # the bound keeps the newest 10,000
        assert len(log) == 10_000
        since, rows = 0, []
        while True:  # how fast a page answers is the browser test's and the benchmarks' figure
            response = await client.get(f"/_fake/requests?summary=1&since={since}&limit=2000")
            page = response.json()
            rows += page["requests"]
            if len(page["requests"]) < 2000:
                break
            since = page["requests"][-1]["id"]
        assert len(rows) == 10_000 and rows[0]["id"] == 2001 and rows[-1]["id"] == 12_000
        assert page["total"] == 10_000 and page["limit"] == 10_000
        newest = (await client.get("/_fake/requests?before=12001&limit=50&summary=1")).json()
        assert [r["id"] for r in newest["requests"]] == list(range(11_951, 12_001))
        one = (await client.get("/_fake/requests/5000")).json()
        assert one["id"] == 5000 and one["json"] == CHAT
        gone = await client.get("/_fake/requests/10")
        assert gone.status_code == 404 and gone.json() == {"detail": "no request 10 in the log"}


async def test_since_without_limit_keeps_its_old_shape(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        await client.post("/v1/chat/completions", json=CHAT)
        await client.post("/v1/chat/completions", json=CHAT)
        rows = (await client.get("/_fake/requests?since=1")).json()["requests"]
        assert [r["id"] for r in rows] == [2] and rows[0]["json"] == CHAT


async def test_console_page_and_assets_ship_in_the_package(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        page = await client.get("/_fake/ui")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/_fake/ui/console.js">' in page.text
        assert "http://" not in page.text and "https://" not in page.text  # no CDN
        script = await client.get("/_fake/ui/console.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert "EventSource" in script.text
        assert (await client.get("/_fake/ui/console.css")).status_code == 200
        assert (await client.get("/_fake/ui/nope.js")).status_code == 404


async def test_switching_the_profile_adds_and_removes_routes(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        ask = {"model": "fake-model", "input": "hi"}
        assert (await client.post("/v1/responses", json=ask)).json() == {"detail": "Not Found"}
        switched = await client.put("/_fake/profile", json={"name": "vllm-0.10.1"})
        assert switched.json()["name"] == "vllm-0.10.1"
        assert switched.json()["version"] == "0.10.1.1"
        assert (await client.post("/v1/responses", json=ask)).status_code == 200
        assert (await client.get("/version")).json() == {"version": "0.10.1.1"}
        bad = await client.put("/_fake/profile", json={"name": "vllm-9"})
        assert bad.status_code == 400 and "known: vllm-0.4" in bad.json()["detail"]
        await client.post("/_fake/reset")
        assert (await client.post("/v1/responses", json=ask)).status_code == 404
        assert (await client.get("/version")).json() == {"version": "0.9.2"}


async def test_put_profile_replaces_the_overrides(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        await client.patch("/_fake/profile", json={"error_shape": "nested"})
        body = (await client.put("/_fake/profile", json={"knobs": {"tools": False}})).json()
        assert body["overrides"] == {"tools": False} and body["knobs"]["error_shape"] == "flat"
        bad = await client.put("/_fake/profile", json={"knobs": {"nope": 1}})
        assert bad.status_code == 400 and "unknown knobs ['nope']" in bad.json()["detail"]


async def test_flipping_stream_usage_changes_the_next_stream(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        before = await client.post("/v1/chat/completions", json=STREAM)
        assert '"usage"' not in before.text
        await client.patch("/_fake/profile", json={"stream_usage": "always_in_finish_chunk"})
        after = await client.post("/v1/chat/completions", json=STREAM)
        finish = orjson.loads(events(after.text)[-2])
        assert finish["choices"][0]["finish_reason"] and finish["usage"]["total_tokens"] > 0


async def test_console_info_shows_the_equivalent_yaml_and_command(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        info = (await client.get("/_fake/console")).json()
        assert info["backend"] == "vllm" and info["profile"]["name"] == "vllm-0.9"
        assert info["equivalent"] == {
            "yaml": "# console-profile.yaml\nextends: vllm-0.9\n",
            "cli": "llm-fakes serve vllm --version 0.9.2",
        }
        assert info["knob_kinds"]["stream_usage"] == {
            "choices": ["always_in_finish_chunk", "on_request"]
        }
        assert info["knob_kinds"]["tools"] == {"choices": [True, False]}
        await client.patch(
            "/_fake/profile", json={"stream_usage": "always_in_finish_chunk", "reasoning_keys": []}
        )
        await client.put("/_fake/timing", json={"ttft": 0.2, "itl": 0.02})
        await client.put(
            "/_fake/faults", json=[{"fault": {"kind": "http_error", "status": 503}, "times": 2}]
        )
        info = (await client.get("/_fake/console")).json()
        assert info["equivalent"]["yaml"] == (
            "# console-profile.yaml\nextends: vllm-0.9\nknobs:\n"
            "  stream_usage: always_in_finish_chunk\n  reasoning_keys: []\n"
        )
        assert info["equivalent"]["cli"] == (
            "llm-fakes serve vllm --version 0.9.2 --profile console-profile.yaml "
            "--ttft 0.2 --itl 0.02\n"
            "curl -X PUT http://fake/_fake/faults -H 'content-type: application/json' "
            '-d \'[{"fault":{"kind":"http_error","status":503},"times":2}]\''
        )


async def test_armed_fault_fires_for_the_next_n_requests(vllm: Any) -> None:
    async with vllm("0.9.2") as client:
        await client.put(
            "/_fake/faults", json=[{"fault": {"kind": "http_error", "status": 503}, "times": 2}]
        )
        statuses = [
            (await client.post("/v1/chat/completions", json=CHAT)).status_code for _ in "abc"
        ]
        assert statuses == [503, 503, 200]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../escape.jsonl", "no '..'"),
        ("a/../../escape.jsonl", "no '..'"),
        ("/etc/cassette.jsonl", "is absolute"),
        ("C:/x.jsonl", "is absolute"),
        (".hidden.jsonl", "hidden"),
        ("a\\b.jsonl", "use '/'"),
        ("", "give a file name"),
    ],
)
def test_unsafe_names_are_refused(tmp_path: Path, name: str, why: str) -> None:
    with pytest.raises(SaveError, match=why.replace(".", r"\.")):
        safe_path(tmp_path, name, ".jsonl")


def test_a_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "out").symlink_to(tmp_path)
    with pytest.raises(SaveError, match="leaves the recordings directory"):
        safe_path(tmp_path / "rec", "out/x.jsonl", ".jsonl")
    assert safe_path(tmp_path / "rec", "a/b", ".jsonl") == (tmp_path / "rec/a/b.jsonl").resolve()


async def test_saved_cassette_is_redacted_and_replays_byte_for_byte(
    vllm: Any, tmp_path: Path
) -> None:
    async with vllm("0.9.2", recordings_dir=str(tmp_path)) as client:
        headers = {"Authorization": "Bearer sk-secret-key-123456"}
        streamed = await client.post("/v1/chat/completions", json=STREAM, headers=headers)
        plain = await client.post(
            "/v1/chat/completions", json={**CHAT, "api_key": "sk-in-the-body-123456"}
        )
        refused = await client.post("/_fake/cassettes", json={"ids": [1], "path": "../x"})
        assert refused.status_code == 400
        form = await client.post(
            "/_fake/cassettes",
            content=b'{"ids": [1], "path": "x"}',
            headers={"content-type": "text/plain"},
        )
        assert form.json() == {"detail": "send the body as content-type: application/json"}
        missing = await client.post("/_fake/cassettes", json={"ids": [7], "path": "x"})
        assert missing.json() == {"detail": "requests [7] are no longer in the log"}
        saved = await client.post("/_fake/cassettes", json={"ids": [2, 1], "path": "s/one"})
    assert saved.status_code == 200 and saved.json()["interactions"] == 2
    path = tmp_path / "s" / "one.jsonl"
    assert saved.json()["path"] == str(path.resolve())
    text = path.read_text()
    assert "sk-secret" not in text and "sk-in-the-body" not in text
    cassette = load(path)
    assert cassette.header.source == "console"
    first, second = cassette.interactions
    assert first.request_headers["authorization"] == "[redacted]"
    assert first.body == streamed.content and second.body == plain.content
    assert first.chunks[0].offset <= first.chunks[-1].offset
    replayer = Replayer([cassette], speed=0)
    transport = httpx.ASGITransport(app=replayer)
    async with httpx.AsyncClient(transport=transport, base_url="http://replay") as replay:
        again = await replay.post("/v1/chat/completions", json=STREAM)
    assert again.status_code == 200 and again.content == streamed.content


async def test_save_as_scenario_writes_a_stub_that_builds_the_scenario(
    vllm: Any, tmp_path: Path
) -> None:
    async with vllm("0.9.2", recordings_dir=str(tmp_path)) as client:
        await client.post(
            "/v1/chat/completions", json={**STREAM, "max_tokens": 5, "tools": [], "user": "x"}
        )
        await client.get("/v1/models")
        await client.patch("/_fake/profile", json={"stream_usage": "always_in_finish_chunk"})
        saved = await client.post("/_fake/scenarios", json={"id": 1, "scenario": "my_case"})
        not_chat = await client.post("/_fake/scenarios", json={"id": 2})
        bad_id = await client.post("/_fake/scenarios", json={"id": 1, "scenario": "no-dash"})
    assert not_chat.status_code == 400 and "no chat 'messages'" in not_chat.json()["detail"]
    assert bad_id.status_code == 400 and "Python identifier" in bad_id.json()["detail"]
    path = tmp_path / "scenarios" / "my_case.py"
    assert saved.json()["path"] == str(path.resolve()) and saved.json()["text"] == path.read_text()
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    (scenario,) = namespace["SCENARIOS"]
    assert scenario.id == "my_case" and scenario.family == "console"
    assert scenario.request.stream is True and scenario.request.max_tokens == 5
    assert scenario.request.messages == tuple(CHAT["messages"])
    from fakes.profiles import resolve_vllm_profile

    assert not scenario.applies(resolve_vllm_profile("0.9.2", None)[0].knobs)
    assert scenario.applies(resolve_vllm_profile("0.4.3", None)[0].knobs)
    # and it runs as a contract cell: the reference driver gets the usage the quirk sends
    from contracts._backends import select_backends
    from contracts._runner import run_cell
    from contracts.drivers import DRIVERS

    (backend,) = select_backends(["vllm-0.4"], litellm=False)
    run = await run_cell(DRIVERS.get("openai-compatible"), scenario, backend)
    assert run.crash is None and run.result is not None
    assert run.result.usage is not None and run.result.text


@pytest.mark.live
def test_stopping_the_server_ends_open_event_streams_at_once() -> None:
    app = create_vllm_app(vllm_config("0.9.2"))
    server = LiveServer(app).start()
    lines: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{server.url}/_fake/events", timeout=10) as response:
            for line in response.iter_lines():
                lines.append(line)
                ready.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(5)
    server.stop()
    thread.join(5)
    # the console ended the stream itself (its last word), not uvicorn's graceful-shutdown
    # timeout cutting the connection
    assert lines[-3:] == ["event: bye", "data: {}", ""], lines[-3:]
    assert not thread.is_alive()


async def test_a_release_past_the_reference_needs_no_profile_flag(vllm: Any) -> None:
    # 0.33.0 resolves to vllm-0.24 by itself (read from 0.25.0): --profile would be redundant
    async with vllm("0.33.0") as client:
        info = (await client.get("/_fake/console")).json()
        assert info["equivalent"]["cli"] == "llm-fakes serve vllm --version 0.33.0"
        await client.put("/_fake/profile", json={"name": "vllm-0.22"})  # /version follows
        info = (await client.get("/_fake/console")).json()
        assert info["equivalent"]["cli"] == "llm-fakes serve vllm --version 0.22.0"

"""The console in a real headless Chromium: live rows, a flipped quirk, a saved cassette."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fakes.http.server import live
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.record import Replayer, load
from fakes.vllm import create_vllm_app
from tests.conftest import CHAT, vllm_config

pytestmark = [pytest.mark.browser, pytest.mark.live]

STREAM = {**CHAT, "stream": True}


def _row(page: Any, entry_id: int) -> Any:
    return page.locator(f'#list .row[data-id="{entry_id}"]')


def test_rows_arrive_live_a_quirk_flips_and_a_cassette_replays(
    browser_page: Any, screenshots: Path, tmp_path: Path
) -> None:
    page = browser_page
    app = create_vllm_app(vllm_config("0.9.2", recordings_dir=str(tmp_path)))
    with live(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        loads: list[str] = []
        page.on("request", lambda r: loads.append(r.url) if "/_fake/requests?" in r.url else None)
        page.goto(f"{server.url}/_fake/ui")
        page.wait_for_selector("#connection.live")
        page.wait_for_function("document.getElementById('count').textContent.startsWith('0 ')")
        page.wait_for_function("document.getElementById('equivalent-cli').textContent !== ''")

        # traffic shows up without a reload
        before = client.post("/v1/chat/completions", json=STREAM)
        client.post("/v1/chat/completions", json=CHAT)
        _row(page, 2).wait_for()
        page.wait_for_selector('#list .row[data-id="1"][data-status="200"]')
        assert _row(page, 1).locator(".c-stream").inner_text() == "SSE"
        assert _row(page, 2).locator(".c-model").inner_text() == "fake-model"
        assert len(loads) == 1  # the first (empty) load; the rows came over the event stream
        _row(page, 1).click()
        page.wait_for_selector("#events .event-row")
        assert page.locator("#response-bytes").text_content() == before.text
        assert page.locator("#events .event-row").count() == len(before.text.split("\n\n")) - 1
        assert '"usage"' not in before.text
        page.screenshot(path=str(screenshots / "1-live-rows.png"))

        # flip the stream usage quirk: the next stream carries usage in its finish chunk
        page.select_option("#knob-stream_usage", '"always_in_finish_chunk"')
        page.wait_for_function(
            "document.getElementById('equivalent-yaml').textContent"
            ".includes('stream_usage: always_in_finish_chunk')"
        )
        assert "--profile console-profile.yaml" in page.locator("#equivalent-cli").inner_text()
        after = client.post("/v1/chat/completions", json=STREAM)
        assert '"usage"' in after.text
        page.wait_for_selector('#list .row[data-id="3"][data-status="200"]')
        _row(page, 3).click()
        page.wait_for_function(
            "document.getElementById('details-title').textContent.startsWith('#3 ')"
        )
        assert '"usage"' in page.locator("#response-bytes").text_content()
        page.screenshot(path=str(screenshots / "2-usage-quirk-flipped.png"))

        # save two requests as a cassette, then replay it
        _row(page, 1).locator("input[type=checkbox]").check()
        _row(page, 3).locator("input[type=checkbox]").check()
        page.fill("#cassette-name", "browser/session.jsonl")
        page.click("#save-cassette")
        page.wait_for_function(
            "document.getElementById('save-result').textContent.startsWith('saved 2')"
        )
        page.screenshot(path=str(screenshots / "3-cassette-saved.png"))
        page.goto("about:blank")  # the event stream closes before the server stops
    cassette = load(tmp_path / "browser" / "session.jsonl")
    assert [i.body for i in cassette.interactions] == [before.content, after.content]
    replayer = Replayer([cassette], speed=0)
    body = orjson.dumps(STREAM)
    assert replayer.match("POST", "/v1/chat/completions", "", body).body == before.content
    assert replayer.match("POST", "/v1/chat/completions", "", body).body == after.content


def test_ten_thousand_requests_render_only_a_window(browser_page: Any, screenshots: Path) -> None:
    page = browser_page
    app = create_vllm_app(vllm_config("0.9.2", log_limit=10_000))
    log = app.state.fake.log
    body = orjson.dumps(CHAT)
    for _ in range(10_000):  # before any page subscribes: no thread crosses the event loop
        entry = log.start("POST", "/v1/chat/completions", "", [], body)
        entry.status, entry.complete = 200, True
        entry.chunks.append((0.001, b"{}"))
        entry.finished = entry.started + 0.002
    with live(app) as server:
        started = time.perf_counter()
        page.goto(f"{server.url}/_fake/ui")
        page.wait_for_function(
            "document.getElementById('count').textContent.startsWith('10000 requests')"
        )
        loaded = time.perf_counter() - started
        rendered = page.locator("#list .row").count()
        assert 10 < rendered < 100, rendered
        started = time.perf_counter()
        page.evaluate("document.getElementById('list').scrollTop = 22 * 5000")
        page.wait_for_selector('#list .row[data-id="5000"]')
        scrolled = time.perf_counter() - started
        assert page.locator("#list .row").count() < 100
        httpx.post(f"{server.url}/v1/chat/completions", json=CHAT, timeout=10)
        page.wait_for_function(
            "document.getElementById('count').textContent.startsWith('10000 requests')"
            " && document.querySelector('#list .row') !== null"
        )
        page.evaluate("document.getElementById('list').scrollTop = 0")
        page.wait_for_selector('#list .row[data-id="10001"]')
        page.screenshot(path=str(screenshots / "4-ten-thousand-requests.png"))
        page.goto("about:blank")
    print(
        f"\n10,000 requests: page loaded in {loaded:.2f} s, {rendered} rows in the DOM, "
        f"scroll to the middle {scrolled * 1000:.0f} ms"
    )


def test_the_token_opens_the_page_once_then_the_cookie_does_the_rest(
    browser_page: Any, screenshots: Path
) -> None:
    page = browser_page
    app = create_vllm_app(vllm_config("0.9.2", control_token="tok"))
    with live(app) as server:
        refused = page.goto(f"{server.url}/_fake/ui")
        assert refused is not None and refused.status == 401
        page.goto(f"{server.url}/_fake/ui?token=tok")
        assert page.url == f"{server.url}/_fake/ui"  # the token left the address bar
        page.wait_for_selector("#connection.live")  # the event stream passed with the cookie
        httpx.post(f"{server.url}/v1/chat/completions", json=CHAT, timeout=10)
        # (the refused page's /favicon.ico may be an earlier row: it reached the fake)
        page.wait_for_selector('#list .row[data-status="200"]')
        page.select_option("#knob-error_shape", '"nested"')
        page.wait_for_function(
            "document.getElementById('equivalent-yaml').textContent.includes('error_shape')"
        )
        assert app.state.fake.knobs.error_shape == "nested"
        page.goto("about:blank")


def test_the_stack_page_has_a_tab_for_the_upstream_vllm(
    browser_page: Any, screenshots: Path
) -> None:
    page = browser_page
    upstream = create_vllm_app(vllm_config("0.9.2"))
    with live(upstream) as vllm_server:
        profile, release = resolve_litellm_profile("1.110.2", None)
        deployment = Deployment(
            model_name="fake-model",
            provider="hosted_vllm",
            upstream_model="fake-model",
            api_base=f"{vllm_server.url}/v1",
        )
        proxy = create_litellm_app(
            LitellmConfig(profile=profile, version=release, deployments=(deployment,)),
            peers={"vllm": ("fake vLLM 0.9.2 (upstream)", upstream)},
        )
        with live(proxy) as server:
            page.goto(f"{server.url}/_fake/ui")
            page.wait_for_selector("#connection.live")
            httpx.post(f"{server.url}/v1/chat/completions", json=STREAM, timeout=10)
            page.wait_for_selector('#list .row[data-id="1"][data-status="200"]')
            assert "fake LiteLLM 1.110.2" in page.locator("#title").inner_text()
            page.click('#tabs button[data-base="/_fake/peers/vllm"]')
            page.wait_for_function(
                "document.getElementById('title').textContent.includes('fake vLLM')"
            )
            page.wait_for_selector('#list .row[data-id="1"][data-status="200"]')
            _row(page, 1).click()
            page.wait_for_function(
                "document.getElementById('request-body').textContent.includes('include_usage')"
            )  # what the proxy asked upstream
            assert page.locator("#fault-box").is_visible()
            page.screenshot(path=str(screenshots / "5-stack-upstream-tab.png"))
            page.goto("about:blank")


def test_faults_timing_profile_and_reset_from_the_page(
    browser_page: Any, screenshots: Path
) -> None:
    page = browser_page
    app = create_vllm_app(vllm_config("0.9.2"))
    with live(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        page.goto(f"{server.url}/_fake/ui")
        page.wait_for_selector("#connection.live")
        page.select_option("#fault-kind", "http_error")
        page.fill("#fault-times", "2")
        page.fill("#fault-status", "503")
        page.click("#arm-fault")
        page.wait_for_function(
            "document.getElementById('equivalent-cli').textContent.includes('/_fake/faults')"
        )
        page.fill("#ttft", "0.05")
        page.click("#set-timing")
        page.wait_for_function(
            "document.getElementById('equivalent-cli').textContent.includes('--ttft 0.05')"
        )
        statuses = [client.post("/v1/chat/completions", json=STREAM).status_code for _ in "abc"]
        assert statuses == [503, 503, 200]
        page.wait_for_selector('#list .row[data-id="3"][data-status="200"]')
        assert _row(page, 1).get_attribute("data-status") == "503"
        ttft = float(_row(page, 3).locator(".c-ttft").inner_text().removesuffix(" ms"))
        assert ttft >= 50
        page.wait_for_function(
            "document.getElementById('faults').textContent.includes('fired 2 of 2')"
        )
        page.select_option("#profile", "vllm-0.10.1")
        page.wait_for_function(
            "document.getElementById('profile-line').textContent.startsWith('vllm-0.10.1')"
        )
        assert page.locator("#title").inner_text().endswith("fake vLLM 0.10.1.1")
        assert client.post("/v1/responses", json={"model": "fake-model", "input": "hi"}).is_success
        page.screenshot(path=str(screenshots / "6-fault-timing-profile.png"))
        page.click("#reset")
        page.wait_for_function(
            "document.getElementById('profile-line').textContent.startsWith('vllm-0.9 ')"
            " && document.getElementById('count').textContent.startsWith('0 ')"
        )
        assert (
            client.post("/v1/responses", json={"model": "fake-model", "input": "hi"}).status_code
            == 404
        )
        page.goto("about:blank")


def test_a_cold_load_recovers_and_a_cut_stream_says_so(
    browser_page: Any, screenshots: Path
) -> None:
    page = browser_page
    app = create_vllm_app(vllm_config("0.9.2"))
    with live(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        refused: list[str] = []

        def refuse_the_first(route: Any) -> None:
            if refused:
                route.continue_()
            else:  # the fake's first answer fails (still starting, a proxy hiccup)
                refused.append(route.request.url)
                route.fulfill(status=503, body="starting")

        page.route("**/_fake/console", refuse_the_first)
        page.goto(f"{server.url}/_fake/ui")
        page.wait_for_selector("#connection.live")
        page.wait_for_function("document.querySelectorAll('#profile option').length >= 15")
        assert refused and page.locator("#error").inner_text() == ""

        with pytest.raises(httpx.RemoteProtocolError):
            with client.stream(
                "POST", "/v1/chat/completions", json=STREAM, headers={"x-fake-fault": "cut"}
            ) as response:
                for _ in response.iter_raw():
                    pass
        client.post("/v1/chat/completions", json=STREAM)
        page.wait_for_selector('#list .row[data-id="1"] .c-status .cut')
        page.wait_for_selector('#list .row[data-id="2"][data-status="200"]')
        cut, whole = _row(page, 1).locator(".c-status"), _row(page, 2).locator(".c-status")
        assert cut.inner_text() == "200 cut" and whole.inner_text() == "200"
        fits = "e => e.scrollWidth <= e.clientWidth"
        assert cut.evaluate(fits)  # nothing hidden behind an ellipsis
        assert page.locator(".row.head .c-status").evaluate(fits)
        page.screenshot(path=str(screenshots / "7-cold-load-and-cut.png"))
        page.goto("about:blank")

"""The fixtures as a user's own test suite meets them (through pytester, no conftest)."""

from __future__ import annotations

import pytest

USER_TESTS = """
import httpx
import openai
import pytest


def test_sync_clients_in_process(llm_fake):
    client = openai.OpenAI(base_url=llm_fake.base_url, api_key="x")
    stream = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert [c for c in stream if c.choices][-1].choices[0].finish_reason == "stop"
    assert httpx.get(llm_fake.url + "/health").status_code == 200
    assert llm_fake.last_request()["path"] == "/health"
    assert llm_fake.requests()[0]["json"]["stream"] is True


async def test_async_clients_and_the_control_plane(llm_fake):
    llm_fake.script({"rules": [{"reply": {"text": "scripted"}}]})
    client = openai.AsyncOpenAI(base_url=llm_fake.base_url, api_key="x")
    answer = await client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content == "scripted"
    llm_fake.faults({"fault": {"kind": "http_error", "status": 503}})
    with pytest.raises(openai.InternalServerError):
        await client.with_options(max_retries=0).chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": "hi"}]
        )


@pytest.mark.llm_backend("vllm", "0.5.3")
def test_the_marker_picks_the_release(llm_fake):
    body = httpx.post(llm_fake.base_url + "/chat/completions",
                      json={"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert llm_fake.version == "0.5.3" and body["id"].startswith("chat-")


@pytest.mark.parametrize("llm_fake", ["vllm:0.9.2", "vllm:0.12.0"], indirect=True)
def test_indirect_parametrization(llm_fake):
    assert httpx.get(llm_fake.url + "/version").json() == {"version": llm_fake.version}


def test_other_hosts_are_not_reachable(llm_fake):
    with pytest.raises(Exception, match="not mocked|not routed"):
        httpx.get("http://example.invalid/")


def test_live_server(llm_fake_live):
    assert llm_fake_live.url.startswith("http://127.0.0.1:")
    client = openai.OpenAI(base_url=llm_fake_live.base_url, api_key="x")
    client.models.list()
    assert len(llm_fake_live.requests()) == 1


def test_live_server_is_reset_between_tests(llm_fake_live):
    assert llm_fake_live.requests() == []


@pytest.mark.llm_backend("litellm", "1.110.2", vllm_version="0.9.2")
def test_the_seed_through_litellm(llm_fake):
    client = openai.OpenAI(base_url=llm_fake.base_url, api_key="x")
    stream = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert [c.usage for c in stream if c.usage] == []  # no usage at the end of the stream
    # ...although the proxy asked its upstream for it
    assert llm_fake.upstream.last_request()["json"]["stream_options"] == {"include_usage": True}
    assert llm_fake.version == "1.110.2" and llm_fake.upstream.version == "0.9.2"


@pytest.mark.llm_backend("litellm", "1.74.15", master_key="sk-test-master-key-123")
def test_live_litellm_cut_is_hidden_by_1_74(llm_fake_live):
    llm_fake_live.faults({"fault": {"kind": "cut", "after_chunks": 3}})
    client = openai.OpenAI(base_url=llm_fake_live.base_url, api_key="sk-test-master-key-123")
    stream = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    finishes = [c.choices[0].finish_reason for c in stream if c.choices]
    assert finishes[-1] == "stop"  # an invented clean finish
"""


@pytest.fixture(autouse=True)
def _ini(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = error\n"
    )


def test_fixtures_work_without_any_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["llm-fakes: driver openai-compatible, fake backend vllm"])


def test_under_xdist_each_worker_has_its_own_servers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=10)


def test_an_unknown_release_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
import pytest

@pytest.mark.llm_backend("vllm", "0.1")
def test_old(llm_fake):
    pass

@pytest.mark.llm_backend("tgi")
def test_unknown(llm_fake):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*llm_backend: vllm 0.1 is outside every known range*",
            "*llm_backend: unknown backend 'tgi'; known: vllm*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*During handling of the above exception*")
    # once in the error report (the summary line repeats it in full when CI is set)
    report = result.stdout.str().split("short test summary info")[0]
    assert report.count("llm_backend: vllm 0.1 is outside every known range:") == 1


def test_every_plugin_fixture_explains_itself(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    output = result.stdout.str()
    ours = output[output.index("fixtures defined from contracts.plugin") :]
    ours = ours[: ours.index("\n---", 1)]
    for name in ("contract_driver", "contract_backends", "contract_live", "golden", "llm_fake"):
        assert f"\n{name}" in ours
    assert "no docstring available" not in ours, ours

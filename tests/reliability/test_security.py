"""Loopback by default; keys enforced on exactly the routes the real backend guards, in
constant time; planted canary keys never reach a cassette, a log line, the matrix report or
an error message; cassettes, profiles, configs, scripts and goldens are data; scenario and
golden names are never paths.

Not here: the control plane's own token (``--control-token``) is added on another branch;
only ``--no-control-plane`` is tested (in tests/fakes/vllm/test_faults_and_control.py)."""

from __future__ import annotations

import hmac
import inspect
import logging
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
import httpx
import pytest

from contracts import golden
from contracts._scenario import Scenario, ScenarioRegistry
from fakes.cli import main
from fakes.http.server import LiveServer, live
from fakes.litellm import Deployment, LitellmConfig, create_litellm_app, resolve_litellm_profile
from fakes.profiles import builtin, resolve_vllm_profile
from fakes.record import Recorder, Replayer, load
from fakes.transports.streaming import StreamingASGITransport
from fakes.vllm import VllmConfig, create_vllm_app
from tests.conftest import CHAT, vllm_config
from tests.reliability.figures import FIGURES

ROOT = Path(__file__).resolve().parents[2]

# --- default bind --------------------------------------------------------------------------


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # lazily loaded commands included
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_command_that_listens_binds_loopback_by_default() -> None:
    listening = {
        name: next(p.default for p in command.params if p.name == "host")
        for name, command in _commands(main).items()
        if any(p.name == "host" for p in command.params)
    }
    assert set(listening) >= {"serve vllm", "serve litellm", "serve stack", "record", "replay"}
    assert set(listening.values()) == {"127.0.0.1"}, listening
    for helper in (LiveServer, live):
        assert inspect.signature(helper).parameters["host"].default == "127.0.0.1"


def test_no_source_binds_all_interfaces() -> None:
    sources = [*ROOT.joinpath("fakes").rglob("*.py"), *ROOT.joinpath("contracts").rglob("*.py")]
    offenders = [
        str(p.relative_to(ROOT))
        for p in sources
        if re.search(r"0\.0\.0\.0|host=['\"]::['\"]", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- keys on exactly the guarded routes --------------------------------------------------

KEY = "right-key-0123456789"
VLLM_PROBES = [
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/responses"),
    ("GET", "/v1/models"),
    ("GET", "/v1/nope"),
    ("GET", "/v2/models"),
    ("POST", "/inference/v1/generate"),
    ("GET", "/health"),
    ("GET", "/version"),
    ("GET", "/metrics"),
    ("GET", "/_fake/requests"),
    ("GET", "/nope"),
]


@pytest.mark.parametrize("profile", builtin("vllm").names())
async def test_vllm_api_key_guards_exactly_the_profiles_prefixes(profile: str) -> None:
    chosen, release = resolve_vllm_profile(None, profile)
    app = create_vllm_app(VllmConfig(profile=chosen, version=release, api_keys=(KEY,)))
    guarded = chosen.knobs.auth_prefixes
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake"
    ) as client:
        for method, path in VLLM_PROBES:
            bodies = {"json": CHAT} if method == "POST" else {}
            without = await client.request(method, path, **bodies)  # type: ignore[arg-type]
            wrong = await client.request(
                method, path, headers={"authorization": "Bearer wrong"}, **bodies
            )  # type: ignore[arg-type]
            lower = await client.request(
                method, path, headers={"authorization": f"bearer {KEY}"}, **bodies
            )  # type: ignore[arg-type]
            right = await client.request(
                method, path, headers={"authorization": f"Bearer {KEY}"}, **bodies
            )  # type: ignore[arg-type]
            FIGURES["auth probes"] += 4
            protected = path.startswith(guarded)
            for response in (without, wrong, lower):
                assert (response.status_code == 401) == protected, (profile, path, response.text)
                if protected:
                    assert response.json() == {"error": "Unauthorized"}
            assert right.status_code != 401, (profile, path)


LITELLM_PROTECTED = [
    ("POST", "/v1/chat/completions"),
    ("POST", "/chat/completions"),
    ("POST", "/engines/fake-model/chat/completions"),
    ("POST", "/openai/deployments/fake-model/chat/completions"),
    ("POST", "/v1/responses"),
    ("POST", "/responses"),
    ("GET", "/v1/models"),
    ("GET", "/models"),
]
LITELLM_OPEN = [("GET", "/health/liveliness"), ("GET", "/health/readiness")]
KEY_HEADERS = [
    {"authorization": f"Bearer {KEY}"},
    {"x-litellm-api-key": KEY},
    {"api-key": KEY},
    {"x-api-key": KEY},
]


@pytest.mark.parametrize("version", ["1.74.15", "1.110.2"])
async def test_litellm_master_key_guards_exactly_the_llm_routes(version: str) -> None:
    profile, release = resolve_litellm_profile(version, None)
    deployment = Deployment("fake-model", "openai", "gpt-4o", mock_response="hi")
    config = LitellmConfig(
        profile=profile, version=release, deployments=(deployment,), master_key=KEY
    )
    app = create_litellm_app(config)
    body = {**CHAT, "input": "hi"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake"
    ) as client:
        for method, path in LITELLM_PROTECTED:
            kwargs: dict[str, Any] = {"json": body} if method == "POST" else {}
            without = await client.request(method, path, **kwargs)
            assert without.status_code == 401, (path, without.text)
            assert without.json()["error"]["message"].startswith("Authentication Error")
            wrong = await client.request(method, path, headers={"x-api-key": "wrong"}, **kwargs)
            assert wrong.status_code == 400 and wrong.json()["error"]["message"] == (
                "No connected db."
            )
            for headers in KEY_HEADERS:
                right = await client.request(method, path, headers=headers, **kwargs)
                assert right.status_code == 200, (path, headers, right.text)
            FIGURES["auth probes"] += 2 + len(KEY_HEADERS)
        for method, path in [*LITELLM_OPEN, ("GET", "/_fake/requests")]:
            assert (await client.request(method, path)).status_code == 200, path
            FIGURES["auth probes"] += 1


async def test_keys_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return original(a, b)

    import fakes.litellm._routes as litellm_routes
    import fakes.vllm._auth as vllm_auth

    monkeypatch.setattr(vllm_auth.hmac, "compare_digest", spy)
    monkeypatch.setattr(litellm_routes.hmac, "compare_digest", spy)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_vllm_app(vllm_config("0.9.2", api_keys=(KEY,)))),
        base_url="http://fake",
    ) as client:
        await client.get("/v1/models", headers={"authorization": "Bearer guess"})
    profile, release = resolve_litellm_profile("1.110.2", None)
    config = LitellmConfig(profile=profile, version=release, master_key=KEY)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_litellm_app(config)), base_url="http://fake"
    ) as client:
        await client.get("/v1/models", headers={"x-api-key": "guess"})
    assert (b"Bearer guess", f"Bearer {KEY}".encode()) in compared
    assert (b"guess", KEY.encode()) in compared


# --- canaries ------------------------------------------------------------------------------

CANARY = {
    "bearer": "canary-bearer-5f1c9a7e",
    "x-api-key": "canary-xapikey-3b8d2e61",
    "api-key": "canary-apikeyhdr-9c4e7a12",
    "x-litellm-api-key": "canary-litellm-1d6f8b30",
    "cookie": "canary-cookie-7e2a5c94",
    "query-key": "canary-querykey-4a9e1f73",
    "query-api_key": "canary-queryapi-8b3c6d25",
    "body-api_key": "canary-bodyfield-2f7a9e48",
    "body-password": "canary-password-6c1d3b87",
    "shape": "sk-canaryshape0a1b2c3d4e5f",  # a key shape inside message text
    "url-password": "canary-urlpass-0e9d8c7b",
    "master": "canary-master-5a4b3c2d",
    "server": "canary-serverkey-1a2b3c4d",
}


def _leaks(text: str | bytes) -> list[str]:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [name for name, value in CANARY.items() if value in data]


def _canary_requests() -> list[dict[str, Any]]:
    headers = {
        "authorization": f"Bearer {CANARY['bearer']}",
        "x-api-key": CANARY["x-api-key"],
        "api-key": CANARY["api-key"],
        "x-litellm-api-key": CANARY["x-litellm-api-key"],
        "cookie": f"session={CANARY['cookie']}",
    }
    query = {"key": CANARY["query-key"], "api_key": CANARY["query-api_key"]}
    body = {
        **CHAT,
        "messages": [{"role": "user", "content": f"my key is {CANARY['shape']}"}],
        "api_key": CANARY["body-api_key"],
        "password": CANARY["body-password"],
    }
    plain = [
        {"method": "POST", "path": "/v1/chat/completions", "json": body},
        {"method": "POST", "path": "/v1/chat/completions", "json": {**body, "stream": True}},
        # invalid: vLLM's 400 repeats the whole request body, canaries included
        {"method": "POST", "path": "/v1/chat/completions", "json": {**body, "n": "many"}},
        {"method": "GET", "path": "/v1/models"},
    ]
    return [{**r, "headers": headers, "params": query} for r in plain]


async def _send_all(client: httpx.AsyncClient) -> list[httpx.Response]:
    responses = []
    for request in _canary_requests():
        responses.append(
            await client.request(
                request["method"],
                request["path"],
                headers=request["headers"],
                params=request["params"],
                json=request.get("json"),
            )
        )
        FIGURES["canary requests"] += 1
    return responses


async def test_canaries_never_reach_a_cassette(tmp_path: Path) -> None:
    cassette = tmp_path / "c.jsonl"
    upstream = StreamingASGITransport(create_vllm_app(vllm_config("0.9.2")))
    recorder = Recorder(
        f"http://user:{CANARY['url-password']}@upstream.fake", cassette, transport=upstream
    )
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(recorder), base_url="http://fake"
    ) as client:
        statuses = [r.status_code for r in await _send_all(client)]
    assert statuses == [200, 200, 400, 200]
    assert _leaks(cassette.read_bytes()) == []
    assert len(load(cassette).interactions) == 4


async def test_canaries_never_reach_an_error_message(tmp_path: Path) -> None:
    messages: list[str] = []
    # vLLM with a key: the 401 says nothing about what was sent
    app = create_vllm_app(vllm_config("0.9.2", api_keys=(CANARY["server"],)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://fake"
    ) as client:
        responses = await _send_all(client)
        assert {r.status_code for r in responses} == {401}
        messages += [r.text for r in responses]
    # LiteLLM with a master key: wrong and malformed keys
    profile, release = resolve_litellm_profile("1.110.2", None)
    litellm = LitellmConfig(
        profile=profile,
        version=release,
        master_key=CANARY["master"],
        deployments=(Deployment("fake-model", "openai", "gpt-4o", mock_response="hi"),),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_litellm_app(litellm)), base_url="http://fake"
    ) as client:
        messages += [r.text for r in await _send_all(client)]
        malformed = await client.post(
            "/v1/chat/completions", json=CHAT, headers={"authorization": CANARY["bearer"]}
        )
        messages.append(malformed.text)
    # the recorder with a dead upstream that has credentials in its URL
    dead = Recorder(f"http://user:{CANARY['url-password']}@127.0.0.1:1", tmp_path / "d.jsonl")
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(dead), base_url="http://fake"
    ) as client:
        failed = await _send_all(client)
        assert {r.status_code for r in failed} == {502}
        messages += [r.text for r in failed]
    # replay: the no-match explanation quotes the (redacted) request
    replayer = Replayer([load(ROOT / "recordings" / "litellm-1.110.2.jsonl")], speed=0)
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(replayer), base_url="http://fake"
    ) as client:
        replayed = await _send_all(client)
        # a request that differs from a recording only in redacted values (its keys) replays
        # it; every other one is a 404 that explains itself: neither may show a canary
        assert {r.status_code for r in replayed} == {200, 404}
        assert sum(r.status_code == 404 for r in replayed) > len(replayed) // 2
        messages += [r.text for r in replayed]
    assert [(m, _leaks(m)) for m in messages if _leaks(m)] == []


async def test_canaries_never_reach_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    upstream = create_vllm_app(vllm_config("0.9.2", api_keys=(CANARY["server"],)))
    with live(upstream) as vllm:
        base = vllm.url.replace("http://", f"http://user:{CANARY['url-password']}@")
        recorder = Recorder(base, tmp_path / "c.jsonl")
        with live(recorder, server_header=False, date_header=False) as proxy:
            async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as client:
                await _send_all(client)
        profile, release = resolve_litellm_profile("1.74.15", None)
        deployment = Deployment(
            "fake-model",
            "hosted_vllm",
            "fake-model",
            api_base=f"{vllm.url}/v1",
            api_key=CANARY["server"],
        )
        litellm = LitellmConfig(
            profile=profile,
            version=release,
            master_key=CANARY["master"],
            deployments=(deployment,),
        )
        with live(create_litellm_app(litellm)) as proxy:
            async with httpx.AsyncClient(base_url=proxy.url, timeout=10) as client:
                await _send_all(client)
                await client.post(
                    "/v1/chat/completions",
                    json={**CHAT, "stream": True},
                    headers={"authorization": f"Bearer {CANARY['master']}"},
                )
    lines = [record.getMessage() for record in caplog.records]
    assert lines, "nothing was logged: the test would prove nothing"
    assert [(line, _leaks(line)) for line in lines if _leaks(line)] == []


def test_canaries_never_reach_the_cli_output(tmp_path: Path) -> None:
    """What `serve vllm --api-key` and `record --upstream http://user:pass@...` print."""
    outputs = []
    command = [sys.executable, "-m", "fakes", "serve", "vllm", "--port", "0"]
    outputs.append(_run_briefly([*command, "--api-key", CANARY["server"]], lambda url: None))
    config = tmp_path / "config.yaml"
    config.write_text(
        "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, "
        f"mock_response: hi, api_key: {CANARY['server']}}}\n"
        f"general_settings:\n  master_key: {CANARY['master']}\n",
        encoding="utf-8",
    )
    serve_litellm = [sys.executable, "-m", "fakes", "serve", "litellm", "--port", "0"]
    outputs.append(_run_briefly([*serve_litellm, "--config", str(config)], lambda url: None))
    with live(create_vllm_app(vllm_config("0.9.2"))) as upstream:
        credentialed = upstream.url.replace("http://", f"http://u:{CANARY['url-password']}@")
        record = [sys.executable, "-m", "fakes", "record", "--port", "0"]
        record += ["--upstream", credentialed, "--out", str(tmp_path / "c.jsonl")]

        def traffic(url: str) -> None:
            for request in _canary_requests():
                httpx.request(
                    request["method"],
                    url + request["path"],
                    headers=request["headers"],
                    params=request["params"],
                    json=request.get("json"),
                    timeout=10,
                )

        outputs.append(_run_briefly(record, traffic))
    for output in outputs:
        assert "http://127.0.0.1:" in output  # it did start
        assert _leaks(output) == [], output


def _run_briefly(command: list[str], use: Any) -> str:
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []

    def drain() -> None:
        assert process.stderr is not None
        lines.extend(process.stderr)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while not (m := re.search(r"http://127\.0\.0\.1:\d+", "".join(lines))):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            time.sleep(0.02)
        use(m.group(0))
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=15)
        reader.join(timeout=5)
    return "".join(lines) + (out or "")


async def test_canaries_never_reach_the_matrix_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contracts._backends import select_backends
    from contracts._model import Request
    from contracts.drivers import DRIVERS
    from contracts.matrix import run_matrix
    from contracts.report import write_reports

    scenario = Scenario(
        id="canary_key",
        family="security",
        title="the backend wants a key; the driver sends it",
        quirk="-",
        request=Request(messages=({"role": "user", "content": f"hi {CANARY['shape']}"},)),
        vllm={"api_keys": (CANARY["server"],)},
    )
    # a golden that cannot match: every cell fails, so the report shows its raw exchanges
    monkeypatch.setattr(
        golden, "load", lambda _id: {"expected": {b: {"text": "never"} for b in ("vllm-0.9",)}}
    )
    matrix = await run_matrix(
        [DRIVERS.get("openai-compatible")], select_backends(["vllm-0.9"]), [scenario]
    )
    assert {cell.outcome for cell in matrix.cells} == {"fail"}
    written = write_reports(matrix, tmp_path)
    html = (tmp_path / "matrix.html").read_text(encoding="utf-8")
    assert "raw exchanges" in html and "/v1/chat/completions" in html
    for path in written:
        assert _leaks(path.read_text(encoding="utf-8")) == [], path.name


# --- data, never code ----------------------------------------------------------------------

EXPLOIT = "!!python/object/apply:os.system ['touch {marker}']"


def test_no_yaml_loader_that_can_build_objects() -> None:
    unsafe = re.compile(
        r"yaml\.(load|unsafe_load|full_load)\(|Loader=yaml\.(Loader|FullLoader|UnsafeLoader)"
    )
    sources = [*ROOT.joinpath("fakes").rglob("*.py"), *ROOT.joinpath("contracts").rglob("*.py")]
    assert [str(p) for p in sources if unsafe.search(p.read_text(encoding="utf-8"))] == []


def test_a_python_tag_in_any_yaml_input_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    marker = tmp_path / "pwned"
    payload = EXPLOIT.format(marker=marker)
    files = {
        "profile.yaml": f"extends: vllm-0.9\nknobs:\n  error_shape: {payload}\n",
        "script.yaml": f"rules:\n  - reply: {payload}\n",
        "config.yaml": f"model_list:\n  - model_name: {payload}\n",
        "vcr.yaml": f"interactions:\n  - request: {payload}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    results = {
        "profile": runner.invoke(
            main, ["serve", "vllm", "--port", "0", "--profile", str(tmp_path / "profile.yaml")]
        ),
        "script": runner.invoke(
            main, ["serve", "vllm", "--port", "0", "--script", str(tmp_path / "script.yaml")]
        ),
        "config": runner.invoke(
            main, ["serve", "litellm", "--port", "0", "--config", str(tmp_path / "config.yaml")]
        ),
        "vcrpy cassette": runner.invoke(
            main,
            ["cassette", "convert", str(tmp_path / "vcr.yaml"), "--out", str(tmp_path / "o.jsonl")],
        ),
    }
    for what, result in results.items():
        assert result.exit_code == 1, (what, result.output)
        assert "Traceback" not in result.output
        assert "python/object/apply:os.system" in result.output, (what, result.output)
    golden_dir = tmp_path / "golden"
    golden_dir.mkdir()
    (golden_dir / "evil.yaml").write_text(f"format: 1\nexpected: {payload}\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"python/object/apply:os\.system"):
        golden.load("evil", golden_dir)
    assert not marker.exists()


# --- names that are never paths ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", "..", "/etc/passwd", "a\\b", "", ".hidden", "x" * 101, "a\x00b"]
)
def test_scenario_and_golden_names_are_never_paths(name: str) -> None:
    from contracts._model import Request

    scenario = Scenario(
        id=name, family="f", title="t", quirk="q", request=Request(messages=({"role": "user"},))
    )
    with pytest.raises(ValueError, match="not a safe name"):
        ScenarioRegistry().add(scenario)
    with pytest.raises(ValueError, match="not a safe name"):
        golden.load(name)


def test_every_registered_scenario_has_a_safe_name() -> None:
    from contracts.scenarios import SCENARIOS

    assert all(re.fullmatch(r"[a-z0-9_]+", s.id) for s in SCENARIOS.all())

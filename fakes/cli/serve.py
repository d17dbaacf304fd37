"""``llm-fakes serve vllm|litellm|stack``: options in, a config built, a socket bound, the
app served."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from fakes.cli._banner import banner, console_line, curl_examples, url_of
from fakes.cli._collector import pause_for_start_up, start_serving
from fakes.cli._lazy import LazyGroup
from fakes.cli._stack_upstream import UPSTREAMS
from fakes.cli._terminal import Printer, terminal
from fakes.http.exposure import check_exposure
from fakes.model.timing import TIMING_LIMITS
from fakes.profiles import DEFAULT_VLLM_VERSION

if TYPE_CHECKING:
    from fakes.litellm import LitellmConfig, UnsafeMasterKeyError
    from fakes.profiles import LitellmProfile


# Each backend's command in a module of its own (they import this one), loaded on first use.
_BACKENDS = {
    name: f"fakes.cli.{name}:serve_{name}" for name in ("fleet", "ollama", "llamacpp", "sglang")
}


@click.group(cls=LazyGroup, lazy=_BACKENDS)
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Start a fake server."""
    _without_httpx_cli()
    pause_for_start_up(ctx)


def _without_httpx_cli() -> None:
    """httpx's package imports its own command line (``httpx._main``: rich's progress bars and
    syntax highlighting, pygments; about 30 ms) unless that import fails, and then offers a
    stub. A server never runs httpx's command line: where httpx is not loaded yet, mark it
    absent, so the proxies that need httpx start without it."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def warn_past_newest(backend: str, release: str | None, newest: str, profile_name: str) -> None:
    """One line when a release lies past the newest one the profiles were checked against:
    the fake still answers, with the newest profile, and says so."""
    from fakes.profiles.versions import parse_release

    if release is not None and parse_release(release) > parse_release(newest):
        click.echo(
            f"warning: {backend} {release} is newer than every release the profiles were read "
            f"from (newest {newest}); imitating it with {profile_name}",
            err=True,
        )


def _token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("an empty token would protect nothing")
    return value


def _fastapi_release(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from packaging.version import InvalidVersion, Version

    if value is None:
        return None
    try:
        Version(value)
    except InvalidVersion:
        raise click.BadParameter(f"not a release number: {value!r} (e.g. 0.123.10)") from None
    return value


def _replica_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from fakes.http.replica import check_replica_name

    if not value:
        return None
    try:
        return check_replica_name(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _console_options(command: Any) -> Any:
    """Options every serve command shares: the control plane and its console."""
    for option in reversed(
        [
            click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes."),
            click.option(
                "--control-token",
                envvar="LLM_FAKES_CONTROL_TOKEN",
                callback=_token,
                help="Require this token on every /_fake/ route, the console included "
                "(Authorization: Bearer TOKEN, or /_fake/ui?token=TOKEN in a browser).",
            ),
            click.option(
                "--log-limit",
                default=1000,
                show_default=True,
                type=click.IntRange(1, 1_000_000),
                help="Requests kept in the log (/_fake/requests, the console); oldest go first.",
            ),
            click.option(
                "--recordings-dir",
                default="recordings",
                show_default=True,
                help="Where the console saves cassettes and scenario stubs.",
            ),
        ]
    ):
        command = option(command)
    return command


@serve.command("vllm")
@click.option(
    "--version",
    "release",
    help="vLLM release to imitate, e.g. 0.9.2 (any release "
    f"from 0.4 on; default {DEFAULT_VLLM_VERSION}).",
)
@click.option("--profile", help="A built-in profile name or a YAML file overriding knobs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model", "model_path", help="Model path (reported as 'root' in /v1/models).")
@click.option(
    "--served-model-name",
    "served",
    multiple=True,
    help="Model name(s) the server answers to (repeatable).",
)
@click.option("--api-key", "api_keys", multiple=True, help="Require 'Authorization: Bearer K'.")
@click.option("--enable-auto-tool-choice", is_flag=True)
@click.option("--tool-call-parser", help="e.g. hermes (needed for tool_choice auto).")
@click.option("--reasoning-parser", help="e.g. deepseek_r1: reasoning goes to its own field.")
@click.option("--max-num-seqs", default=256, show_default=True, type=click.IntRange(1))
@click.option("--max-model-len", default=8192, show_default=True, type=click.IntRange(16))
@click.option(
    "--ttft",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, TIMING_LIMITS["ttft"]),  # Timing's own bounds: a clean error
    help="Seconds to the first token.",
)
@click.option(
    "--itl",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, TIMING_LIMITS["itl"]),
    help="Seconds between tokens.",
)
@click.option(
    "--jitter",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, TIMING_LIMITS["jitter"]),
    help="Uniform +/- seconds on every delay (seeded).",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--script", "script_path", help="YAML script of request-matching replies.")
@click.option(
    "--fastapi",
    callback=_fastapi_release,
    help="The FastAPI release installed beside vLLM (default: the newest the release's "
    "requirements allow). Up to vLLM 0.25 validation messages are in its words: before 0.124 "
    "the error list, from 0.124 counted lines naming the endpoint's file and line.",
)
@click.option(
    "--site-packages",
    help="Where vLLM's files lie, as FastAPI >= 0.124 names them in validation messages "
    "(default: /usr/local/lib/python3.12/site-packages).",
)
@_console_options
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes. Each has its own control plane, request log, script state and "
    "--max-num-seqs.",
)
@click.option(
    "--startup-delay",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 86_400),
    help="Seconds the port stays closed after start (bound, not listening: connections "
    "refused), as while vLLM loads a model; then /health answers 200.",
)
@click.option(
    "--replica-name",
    envvar=["LLM_FAKES_REPLICA_NAME", "POD_NAME"],
    callback=_replica_name,
    help="Name this replica: an x-inference-pod header on every answer and "
    "llm_fakes_replica_info in /metrics. Default: $LLM_FAKES_REPLICA_NAME, else $POD_NAME "
    "(set by a Kubernetes downward API); neither set: off, the real backend's bytes.",
)
@click.option(
    "--no-fast-path",
    is_flag=True,
    help="Answer every request through the reference path (the fast path joins pre-rendered "
    "bytes for plain chat requests; its answers are byte-identical).",
)
def serve_vllm(
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    model_path: str | None,
    served: tuple[str, ...],
    api_keys: tuple[str, ...],
    enable_auto_tool_choice: bool,
    tool_call_parser: str | None,
    reasoning_parser: str | None,
    max_num_seqs: int,
    max_model_len: int,
    ttft: float,
    itl: float,
    jitter: float,
    seed: int,
    script_path: str | None,
    fastapi: str | None,
    site_packages: str | None,
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
    recordings_dir: str,
    workers: int,
    startup_delay: float,
    replica_name: str | None,
    no_fast_path: bool,
) -> None:
    """A fake vLLM OpenAI-compatible server, faithful to one release."""
    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.http.server import FakeServer, uvicorn_config
    from fakes.vllm.options import WORKER_OPTIONS, VllmOptions

    # click has checked each value's type and range, and the names are these: nothing is left
    # for pydantic to validate, and a start-up without a script file builds no schema at all
    options = VllmOptions.model_construct(
        release=release,
        profile=profile,
        model_path=model_path,
        served=served,
        api_keys=api_keys,
        enable_auto_tool_choice=enable_auto_tool_choice,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        max_num_seqs=max_num_seqs,
        max_model_len=max_model_len,
        ttft=ttft,
        itl=itl,
        jitter=jitter,
        seed=seed,
        script_path=script_path,
        fastapi=fastapi,
        site_packages=site_packages,
        no_control_plane=no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
        recordings_dir=recordings_dir,
        replica_name=replica_name,
        no_fast_path=no_fast_path,
    )
    config = options.config()  # every error surfaces here, before anything starts
    warn_past_newest("vLLM", release, DEFAULT_VLLM_VERSION, config.profile.name)
    sock = _bind(host, port, "--port", listen=not startup_delay)
    import uvicorn

    url = f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}"
    console = terminal()
    if workers > 1:
        # uvicorn starts workers from an import string: each rebuilds the same config from
        # the resolved options, handed over in an environment variable.
        port = sock.getsockname()[1]
        sock.close()
        os.environ[WORKER_OPTIONS] = options.model_dump_json()
        banner(url, config, time.monotonic() - started, workers)
        console_line(console, url, config.control_plane, control_token)
        start_serving()  # the supervisor: each worker freezes its own start-up
        with contextlib.suppress(KeyboardInterrupt):
            _load(console, startup_delay, None)
            uvicorn.run(
                "fakes.vllm.options:vllm_worker_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
        return
    from fakes.vllm import create_vllm_app

    app = create_vllm_app(config)
    settings = uvicorn_config(app, host, sock.getsockname()[1], log_level="info")
    settings.load()  # imports the protocol and loop modules now, before gc.freeze() below
    server = FakeServer(settings)
    banner(url, config, time.monotonic() - started, workers)
    console_line(console, url, config.control_plane, control_token)
    start_serving()
    with contextlib.suppress(KeyboardInterrupt):
        _load(console, startup_delay, sock)
        server.run(sockets=[sock])  # uvicorn's own loop choice: uvloop when installed


def _load(console: Printer, seconds: float, sock: socket.socket | None) -> None:
    """Like vLLM loading a model: its port is bound but not listening, so connections are
    refused until the engine is up (vllm/entrypoints/openai/api_server.py binds the socket
    first and serves only after building the engine)."""
    if not seconds:
        return
    console.print(f"loading: connections refused for {seconds:g} s (--startup-delay)")
    time.sleep(seconds)  # a stand-in for the load itself, not a synchronization
    if sock is not None:
        from fakes.http.server import BACKLOG

        sock.listen(BACKLOG)
    console.print("loaded: accepting connections")


def _litellm_config(
    config_path: str, release: str | None, profile: str | None
) -> tuple[LitellmConfig, LitellmProfile]:
    from fakes.litellm import (
        ConfigError,
        UnsafeMasterKeyError,
        load_config,
        resolve_litellm_profile,
    )

    chosen, version = resolve_litellm_profile(release, profile)
    try:
        config = load_config(Path(config_path), chosen, version)
    except UnsafeMasterKeyError as exc:
        _refuse(exc)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
    if config.weak_master_key_permitted:
        click.echo(
            "warning: dangerously_permit_weak_or_unset_master_key is on, so the proxy is starting "
            "with a weak or no master key. Never run this outside local development.",
            err=True,
        )
    return config, chosen


@serve.command("litellm")
@click.option("--config", "config_path", required=True, help="A LiteLLM config.yaml.")
@click.option(
    "--version",
    "release",
    help="LiteLLM release to imitate, e.g. 1.74.15 (default: the newest profile).",
)
@click.option("--profile", help="A built-in profile name or a YAML file overriding knobs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4000, show_default=True, type=click.IntRange(0, 65535))
@_console_options
@click.option(
    "--no-fast-path",
    is_flag=True,
    help="Send chat requests through starlette's router and middleware too (the fast path "
    "hands them to the same handler directly; its answers are byte-identical).",
)
def serve_litellm(
    config_path: str,
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
    recordings_dir: str,
    no_fast_path: bool,
) -> None:
    """A fake LiteLLM proxy that reads a real LiteLLM config.yaml."""
    import dataclasses

    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.http.server import FakeServer, uvicorn_config
    from fakes.litellm import create_litellm_app

    config, chosen = _litellm_config(config_path, release, profile)
    warn_past_newest("LiteLLM", release, _newest_litellm(), chosen.name)
    config = dataclasses.replace(
        config,
        control_plane=not no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
        recordings_dir=recordings_dir,
        fast_path=not no_fast_path,
    )
    sock = _bind(host, port, "--port")
    app = create_litellm_app(config)

    server_header = chosen.knobs.server_header
    settings = uvicorn_config(
        app, host, sock.getsockname()[1], log_level="info", server_header=server_header
    )
    settings.load()  # imports the protocol and loop modules now, before gc.freeze() below
    server = FakeServer(settings)
    url = url_of(host, sock.getsockname()[1])
    model = config.model_names[0] if config.model_names else "fake-model"
    console = terminal()
    console.print(f"[bold green]fake LiteLLM {config.version}[/] ({chosen.name}: {chosen.summary})")
    console.print(
        f"listening on [bold]{url}[/]  (ready in {(time.monotonic() - started) * 1000:.0f} ms)"
    )
    console.print(f"models: {', '.join(config.model_names) or '(none)'}", style="dim")
    curl_examples(console, url, model, config.master_key)
    console_line(console, url, config.control_plane, control_token)
    start_serving()
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])  # uvicorn's own loop choice: uvloop when installed


@serve.command("stack")
@click.option(
    "--upstream",
    type=click.Choice(UPSTREAMS),
    default="vllm",
    show_default=True,
    help="The server behind the fake LiteLLM: vLLM (provider hosted_vllm/), SGLang, Ollama or "
    "llama.cpp (provider openai/ on its /v1 routes).",
)
@click.option(
    "--upstream-version",
    "--vllm-version",
    "upstream_version",
    help=f"Its release, e.g. 0.9.2, 0.5.2 (SGLang), 0.12.6 (Ollama), b6000 (llama.cpp); default "
    f"the newest profile (vLLM {DEFAULT_VLLM_VERSION}). --vllm-version is its older name.",
)
@click.option("--litellm-version", help="LiteLLM release (default: the newest profile).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--upstream-port",
    "--vllm-port",
    "upstream_port",
    type=click.IntRange(0, 65535),
    help="The upstream's port (default: its own, vLLM 8000, SGLang 30000, Ollama 11434, "
    "llama.cpp 8080). --vllm-port is its older name.",
)
@click.option("--litellm-port", default=4000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model", default="fake-model", show_default=True, help="The served model name.")
@click.option(
    "--master-key",
    help="The fake LiteLLM's master key (default: a strong random one, printed at start).",
)
@_console_options
def serve_stack(
    upstream: str,
    upstream_version: str | None,
    litellm_version: str | None,
    host: str,
    upstream_port: int | None,
    litellm_port: int,
    model: str,
    master_key: str | None,
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
    recordings_dir: str,
) -> None:
    """A fake vLLM, SGLang, Ollama or llama.cpp with the fake LiteLLM in front of it, in one
    process."""
    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.cli._stack_upstream import DEFAULT_PORTS, UpstreamOptions, build_upstream
    from fakes.http.server import run_loop, serve_together, uvicorn_config
    from fakes.litellm import (
        UPSTREAM_PROVIDERS,
        Deployment,
        LitellmConfig,
        UnsafeMasterKeyError,
        create_litellm_app,
    )
    from fakes.litellm import resolve_litellm_profile as resolve_litellm
    from fakes.litellm._boot import check_master_key

    litellm_profile, litellm_release = resolve_litellm(litellm_version, None)
    options = UpstreamOptions(
        model=model,
        control_plane=not no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
        recordings_dir=recordings_dir,
    )
    server = build_upstream(upstream, upstream_version, options)
    warn_past_newest("LiteLLM", litellm_version, _newest_litellm(), litellm_profile.name)
    # 1.110 refuses to start without a strong key: the stack brings its own
    import secrets

    key = master_key if master_key is not None else f"sk-{secrets.token_hex(24)}"
    if litellm_profile.knobs.master_key_boot_check:
        try:
            check_master_key(key, {"master_key": key}, "the --master-key option", os.environ)
        except UnsafeMasterKeyError as exc:
            _refuse(exc)
    port = DEFAULT_PORTS[upstream] if upstream_port is None else upstream_port
    upstream_sock = _bind(host, port, "--upstream-port")
    try:
        litellm_sock = _bind(host, litellm_port, "--litellm-port")
    except OSError:
        upstream_sock.close()
        raise
    upstream_url = url_of(host, upstream_sock.getsockname()[1])
    litellm_url = url_of(host, litellm_sock.getsockname()[1])
    provider = UPSTREAM_PROVIDERS[upstream]
    deployment = Deployment(
        model_name=model, provider=provider, upstream_model=model, api_base=f"{upstream_url}/v1"
    )
    litellm_app = create_litellm_app(
        LitellmConfig(
            profile=litellm_profile,
            version=litellm_release,
            deployments=(deployment,),
            master_key=key,
            control_plane=not no_control_plane,
            control_token=control_token or None,
            log_limit=log_limit,
            recordings_dir=recordings_dir,
        ),
        peers={upstream: (f"{server.label} (upstream)", server.app)},
    )
    server_header = litellm_profile.knobs.server_header
    console = terminal()
    console.print(
        f"[bold green]fake LiteLLM {litellm_release}[/] ({litellm_profile.name}) on "
        f"[bold]{litellm_url}[/] -> [bold green]{server.label}[/] "
        f"({server.profile_name}) on [bold]{upstream_url}[/] as {provider}/{model}"
    )
    console.print(f"ready in {(time.monotonic() - started) * 1000:.0f} ms", style="dim")
    console.print(f"master key: MASTER_KEY={key}", markup=False, highlight=False)
    curl_examples(console, litellm_url, model, key)
    console.print(f"  upstream log: {upstream_url}/_fake/requests", style="dim")
    console_line(console, litellm_url, not no_control_plane, control_token)
    upstream_port = upstream_sock.getsockname()[1]
    start_serving()
    with contextlib.suppress(KeyboardInterrupt):
        run_loop(
            serve_together(
                [
                    (uvicorn_config(server.app, host, upstream_port), upstream_sock),
                    (
                        uvicorn_config(
                            litellm_app,
                            host,
                            litellm_sock.getsockname()[1],
                            log_level="info",
                            server_header=server_header,
                        ),
                        litellm_sock,
                    ),
                ],
                labels=[
                    f"{server.label.rpartition(' ')[0]} :{upstream_port}",
                    f"fake LiteLLM :{litellm_sock.getsockname()[1]}",
                ],
            )
        )


def _bind(host: str, port: int, option: str, *, listen: bool = True) -> socket.socket:
    """Bind, naming the option that picks another port when this one is taken."""
    from fakes.http.server import bind

    try:
        return bind(host, port, listen=listen)
    except OSError as exc:
        raise OSError(f"{exc} (choose another with {option}; 0 picks a free one)") from None


def _newest_litellm() -> str:
    from fakes.litellm import DEFAULT_LITELLM_VERSION

    return DEFAULT_LITELLM_VERSION


def _refuse(exc: UnsafeMasterKeyError) -> NoReturn:
    """What LiteLLM 1.110 prints when it refuses its key (less the traceback), and its exit."""
    from fakes.litellm._boot import EXIT_CODE

    click.echo(
        f"{exc}\n\nERROR:    Application startup failed. Exiting.\n{exc.refusal}",
        err=True,
        nl=False,
    )
    sys.exit(EXIT_CODE)

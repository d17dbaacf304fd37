"""The ``llm-fakes`` command line."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console
from rich.table import Table

from fakes.exposure import ExposureError, check_exposure
from fakes.profiles import LitellmProfile, Profile, ProfileError, builtin, resolve
from fakes.script import Script
from fakes.timing import Timing
from fakes.versions import VersionError

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from fakes.litellm import LitellmConfig, UnsafeMasterKeyError
    from fakes.vllm import VllmConfig

# The newest release the vLLM profiles were checked against (newer ones warn).
DEFAULT_VLLM_VERSION = "0.34.0"


# Commands whose modules import pytest, respx and the contract suite: loaded on first use,
# so ``serve`` starts without them (start-up time is a benchmark row).
_LAZY = {
    "matrix": "contracts.cli:matrix",
    "contract": "contracts.cli:contract",
    "record": "fakes.record.cli:record",
    "replay": "fakes.record.cli:replay",
    "cassette": "fakes.record.cli:cassette",
    "probe": "fakes.probe.cli:probe",
}


class _Group(click.Group):
    """Our own errors become one clean line, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        if self.name == "main":
            names = sorted({*names, *_LAZY})
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and self.name == "main" and cmd_name in _LAZY:
            module, attr = _LAZY[cmd_name].split(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ProfileError, VersionError, OSError, _ScriptError, ExposureError) as exc:
            raise click.ClickException(str(exc)) from None


class _ScriptError(ValueError):
    pass


@click.group(cls=_Group)
@click.version_option(package_name="llm-fakes")
def main() -> None:
    """Faithful fake OpenAI-compatible backends (vLLM, LiteLLM) for testing LLM clients."""


@main.group()
def serve() -> None:
    """Start a fake server."""


def resolve_vllm_profile(version: str | None, profile: str | None) -> tuple[Profile, str]:
    return resolve(builtin("vllm"), version, DEFAULT_VLLM_VERSION, profile)


def warn_past_newest(backend: str, release: str | None, newest: str, profile_name: str) -> None:
    """One line when a release lies past the newest one the profiles were checked against:
    the fake still answers, with the newest profile, and says so."""
    from fakes.versions import parse_release

    if release is not None and parse_release(release) > parse_release(newest):
        click.echo(
            f"warning: {backend} {release} is newer than every release the profiles were read "
            f"from (newest {newest}); imitating it with {profile_name}",
            err=True,
        )


def _load_script(path: str | None) -> Script:
    if path is None:
        return Script()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return Script.model_validate(data)
    except yaml.YAMLError as exc:
        raise _ScriptError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise _ScriptError(f"{path}: invalid script: {problems}") from None


def _token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("an empty token would protect nothing")
    return value


def _replica_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from fakes.replica import check_replica_name

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
    type=click.FloatRange(0),
    help="Seconds to the first token.",
)
@click.option(
    "--itl",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds between tokens.",
)
@click.option(
    "--jitter",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Uniform +/- seconds on every delay (seeded).",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--script", "script_path", help="YAML script of request-matching replies.")
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
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
    recordings_dir: str,
    workers: int,
    startup_delay: float,
    replica_name: str | None,
) -> None:
    """A fake vLLM OpenAI-compatible server, faithful to one release."""
    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.server import FakeServer, uvicorn_config

    options = VllmOptions(
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
        no_control_plane=no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
        recordings_dir=recordings_dir,
        replica_name=replica_name,
    )
    config = options.config()  # every error surfaces here, before anything starts
    warn_past_newest("vLLM", release, DEFAULT_VLLM_VERSION, config.profile.name)
    sock = _bind(host, port, "--port", listen=not startup_delay)
    import uvicorn

    url = f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}"
    console = Console(stderr=True, soft_wrap=True)
    if workers > 1:
        # uvicorn starts workers from an import string: each rebuilds the same config from
        # the resolved options, handed over in an environment variable.
        port = sock.getsockname()[1]
        sock.close()
        os.environ[WORKER_OPTIONS] = options.model_dump_json()
        _banner(url, config, time.monotonic() - started, workers)
        _console_line(console, url, config.control_plane, control_token)
        with contextlib.suppress(KeyboardInterrupt):
            _load(console, startup_delay, None)
            uvicorn.run(
                "fakes.cli:vllm_worker_app",
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
    _banner(url, config, time.monotonic() - started, workers)
    _console_line(console, url, config.control_plane, control_token)
    # Start-up objects (modules, profiles, pydantic schemas) never die: keep them out of the
    # collector's sight, so a full collection under load pauses ~1 ms instead of ~20 ms.
    gc.collect()
    gc.freeze()
    with contextlib.suppress(KeyboardInterrupt):
        _load(console, startup_delay, sock)
        server.run(sockets=[sock])  # uvicorn's own loop choice: uvloop when installed


def _load(console: Console, seconds: float, sock: socket.socket | None) -> None:
    """Like vLLM loading a model: its port is bound but not listening, so connections are
    refused until the engine is up (vllm/entrypoints/openai/api_server.py binds the socket
    first and serves only after building the engine)."""
    if not seconds:
        return
    console.print(f"loading: connections refused for {seconds:g} s (--startup-delay)")
    time.sleep(seconds)  # a stand-in for the load itself, not a synchronization
    if sock is not None:
        from fakes.server import BACKLOG

        sock.listen(BACKLOG)
    console.print("loaded: accepting connections")


WORKER_OPTIONS = "LLM_FAKES_VLLM_OPTIONS"


class VllmOptions(BaseModel):
    """``serve vllm``'s options (less host, port and workers), as a worker receives them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    release: str | None = None
    profile: str | None = None
    model_path: str | None = None
    served: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()
    enable_auto_tool_choice: bool = False
    tool_call_parser: str | None = None
    reasoning_parser: str | None = None
    max_num_seqs: int = 256
    max_model_len: int = 8192
    ttft: float = 0.0
    itl: float = 0.0
    jitter: float = 0.0
    seed: int = 0
    script_path: str | None = None
    no_control_plane: bool = False
    control_token: str | None = None
    log_limit: int = 1000
    recordings_dir: str = "recordings"
    replica_name: str | None = None

    def config(self) -> VllmConfig:
        from fakes.vllm import VllmConfig

        chosen, version = resolve_vllm_profile(self.release, self.profile)
        return VllmConfig(
            profile=chosen,
            version=version,
            served_model_names=self.served
            or ((self.model_path,) if self.model_path else ("fake-model",)),
            model_path=self.model_path,
            api_keys=self.api_keys,
            enable_auto_tool_choice=self.enable_auto_tool_choice,
            tool_call_parser=self.tool_call_parser,
            reasoning_parser=self.reasoning_parser,
            max_num_seqs=self.max_num_seqs,
            max_model_len=self.max_model_len,
            timing=Timing(ttft=self.ttft, itl=self.itl, jitter=self.jitter, seed=self.seed),
            script=_load_script(self.script_path),
            control_plane=not self.no_control_plane,
            control_token=self.control_token,
            log_limit=self.log_limit,
            recordings_dir=self.recordings_dir,
            replica_name=self.replica_name,
        )


def vllm_worker_app() -> Starlette:
    """The app factory ``serve vllm --workers N`` hands to uvicorn (one call per worker)."""
    from fakes.vllm import create_vllm_app

    app = create_vllm_app(VllmOptions.model_validate_json(os.environ[WORKER_OPTIONS]).config())
    gc.collect()
    gc.freeze()
    return app


def _banner(url: str, config: VllmConfig, elapsed: float, workers: int = 1) -> None:
    profile, version, model = config.profile, config.version, config.served_model_names[0]
    key = config.api_keys[0] if config.api_keys else None
    console = Console(stderr=True, soft_wrap=True)  # never wrap inside a command to copy
    # the key itself never goes to a terminal or a CI log
    auth = ' -H "Authorization: Bearer $API_KEY"' if key else ""
    key_code = "os.environ['API_KEY']" if key else "'none'"
    console.print(f"[bold green]fake vLLM {version}[/] ({profile.name}: {profile.summary})")
    per = f", {workers} workers: control plane and request log per worker" if workers > 1 else ""
    console.print(f"listening on [bold]{url}[/]  (ready in {elapsed * 1000:.0f} ms{per})")
    console.print("try:", style="dim")
    console.print(
        f"  curl -N {url}/v1/chat/completions{auth} -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": '
        f'"Hello"}}], "stream": true}}\'',
        markup=False,
        highlight=False,
    )
    console.print(
        f'  python -c "{"import os; " if key else ""}from openai import OpenAI; '
        f"c = OpenAI(base_url='{url}/v1', "
        f"api_key={key_code}); print(c.chat.completions.create(model='{model}', "
        "messages=[{'role': 'user', 'content': 'Hello'}]).choices[0].message.content)\"",
        markup=False,
        highlight=False,
    )
    console.print(f"  control plane: {url}/_fake/requests", style="dim")


def _console_line(console: Console, url: str, enabled: bool, token: str | None) -> None:
    if enabled:
        query = "?token=TOKEN" if token else ""
        console.print(f"console: {url}/_fake/ui{query}", style="bold", markup=False)


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
) -> None:
    """A fake LiteLLM proxy that reads a real LiteLLM config.yaml."""
    import dataclasses

    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.litellm import create_litellm_app
    from fakes.server import FakeServer, uvicorn_config

    config, chosen = _litellm_config(config_path, release, profile)
    warn_past_newest("LiteLLM", release, _newest_litellm(), chosen.name)
    config = dataclasses.replace(
        config,
        control_plane=not no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
        recordings_dir=recordings_dir,
    )
    sock = _bind(host, port, "--port")
    app = create_litellm_app(config)

    server_header = chosen.knobs.server_header
    server = FakeServer(
        uvicorn_config(
            app, host, sock.getsockname()[1], log_level="info", server_header=server_header
        )
    )
    url = _url(host, sock.getsockname()[1])
    model = config.model_names[0] if config.model_names else "fake-model"
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"[bold green]fake LiteLLM {config.version}[/] ({chosen.name}: {chosen.summary})")
    console.print(
        f"listening on [bold]{url}[/]  (ready in {(time.monotonic() - started) * 1000:.0f} ms)"
    )
    console.print(f"models: {', '.join(config.model_names) or '(none)'}", style="dim")
    _curl(console, url, model, config.master_key)
    _console_line(console, url, config.control_plane, control_token)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])  # uvicorn's own loop choice: uvloop when installed


@serve.command("stack")
@click.option("--vllm-version", help=f"vLLM release (default {DEFAULT_VLLM_VERSION}).")
@click.option("--litellm-version", help="LiteLLM release (default: the newest profile).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--vllm-port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--litellm-port", default=4000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model", default="fake-model", show_default=True, help="The served model name.")
@click.option(
    "--master-key",
    help="The fake LiteLLM's master key (default: a strong random one, printed at start).",
)
@_console_options
def serve_stack(
    vllm_version: str | None,
    litellm_version: str | None,
    host: str,
    vllm_port: int,
    litellm_port: int,
    model: str,
    master_key: str | None,
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
    recordings_dir: str,
) -> None:
    """The fake vLLM with the fake LiteLLM in front of it, in one process."""
    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.litellm import Deployment, LitellmConfig, UnsafeMasterKeyError, create_litellm_app
    from fakes.litellm import resolve_litellm_profile as resolve_litellm
    from fakes.litellm._boot import check_master_key
    from fakes.server import run_loop, serve_together, uvicorn_config
    from fakes.vllm import VllmConfig, create_vllm_app

    vllm_profile, vllm_release = resolve_vllm_profile(vllm_version, None)
    litellm_profile, litellm_release = resolve_litellm(litellm_version, None)
    warn_past_newest("vLLM", vllm_version, DEFAULT_VLLM_VERSION, vllm_profile.name)
    warn_past_newest("LiteLLM", litellm_version, _newest_litellm(), litellm_profile.name)
    # 1.110 refuses to start without a strong key: the stack brings its own
    key = master_key if master_key is not None else f"sk-{secrets.token_hex(24)}"
    if litellm_profile.knobs.master_key_boot_check:
        try:
            check_master_key(key, {"master_key": key}, "the --master-key option", os.environ)
        except UnsafeMasterKeyError as exc:
            _refuse(exc)
    vllm_sock = _bind(host, vllm_port, "--vllm-port")
    try:
        litellm_sock = _bind(host, litellm_port, "--litellm-port")
    except OSError:
        vllm_sock.close()
        raise
    vllm_url = _url(host, vllm_sock.getsockname()[1])
    litellm_url = _url(host, litellm_sock.getsockname()[1])
    vllm_app = create_vllm_app(
        VllmConfig(
            profile=vllm_profile,
            version=vllm_release,
            served_model_names=(model,),
            enable_auto_tool_choice=True,
            tool_call_parser="hermes",
            control_plane=not no_control_plane,
            control_token=control_token or None,
            log_limit=log_limit,
            recordings_dir=recordings_dir,
        )
    )
    deployment = Deployment(
        model_name=model, provider="hosted_vllm", upstream_model=model, api_base=f"{vllm_url}/v1"
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
        peers={"vllm": (f"fake vLLM {vllm_release} (upstream)", vllm_app)},
    )
    server_header = litellm_profile.knobs.server_header
    console = Console(stderr=True, soft_wrap=True)
    console.print(
        f"[bold green]fake LiteLLM {litellm_release}[/] ({litellm_profile.name}) on "
        f"[bold]{litellm_url}[/] -> [bold green]fake vLLM {vllm_release}[/] "
        f"({vllm_profile.name}) on [bold]{vllm_url}[/]"
    )
    console.print(f"ready in {(time.monotonic() - started) * 1000:.0f} ms", style="dim")
    console.print(f"master key: MASTER_KEY={key}", markup=False, highlight=False)
    _curl(console, litellm_url, model, key)
    console.print(f"  upstream log: {vllm_url}/_fake/requests", style="dim")
    _console_line(console, litellm_url, not no_control_plane, control_token)
    with contextlib.suppress(KeyboardInterrupt):
        run_loop(
            serve_together(
                [
                    (uvicorn_config(vllm_app, host, vllm_sock.getsockname()[1]), vllm_sock),
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
                    f"fake vLLM :{vllm_sock.getsockname()[1]}",
                    f"fake LiteLLM :{litellm_sock.getsockname()[1]}",
                ],
            )
        )


def _bind(host: str, port: int, option: str, *, listen: bool = True) -> socket.socket:
    """Bind, naming the option that picks another port when this one is taken."""
    from fakes.server import bind

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


def _url(host: str, port: int) -> str:
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def _curl(console: Console, url: str, model: str, key: str | None) -> None:
    auth = ' -H "Authorization: Bearer $MASTER_KEY"' if key else ""
    console.print("try:", style="dim")
    console.print(
        f"  curl -N {url}/v1/chat/completions{auth} -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": '
        f'"Hello"}}], "stream": true}}\'   # ends without usage',
        markup=False,
        highlight=False,
    )
    console.print(
        f"  curl -N {url}/v1/chat/completions{auth} -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"model": "{model}", "messages": [{{"role": "user", "content": '
        f'"Hello"}}], "stream": true, "stream_options": {{"include_usage": true}}}}\'',
        markup=False,
        highlight=False,
    )
    console.print(f"  control plane: {url}/_fake/requests", style="dim")


def _add_fleet() -> None:
    from fakes.fleet_cli import serve_fleet

    serve.add_command(serve_fleet)


_add_fleet()


@main.command("profiles")
@click.option(
    "--backend", default="vllm", show_default=True, type=click.Choice(["vllm", "litellm"])
)
def list_profiles(backend: str) -> None:
    """List built-in profiles, the releases they cover and what each changes."""
    profiles = builtin(backend)
    table = Table(title=f"{backend} profiles")
    table.add_column("profile")
    table.add_column("releases")
    table.add_column("read from")
    table.add_column("changes from the previous profile")
    for profile in profiles:
        changed = profiles.changes[profile.name]
        base = len(changed) >= 40 or set(changed) == set(type(profile.knobs).model_fields)
        listed = "(base profile)" if base else ", ".join(sorted(changed))
        table.add_row(
            profile.name,
            profile.versions,
            profile.reference,
            f"{profile.summary}\n[dim]{listed}[/]",
        )
    Console().print(table)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

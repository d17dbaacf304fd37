"""The ``llm-fakes`` command line."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from fakes.profiles import LitellmProfile, Profile, ProfileError, builtin, load_override
from fakes.script import Script
from fakes.timing import Timing
from fakes.versions import VersionError

if TYPE_CHECKING:
    from fakes.litellm import LitellmConfig

DEFAULT_VLLM_VERSION = "0.33.0"


class _Group(click.Group):
    """Our own errors become one clean line, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ProfileError, VersionError, OSError, _ScriptError) as exc:
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
    profiles = builtin("vllm")
    release = version or DEFAULT_VLLM_VERSION
    base = profiles.for_release(release)
    if profile is None:
        return base, release
    path = Path(profile)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_override(path, base, profiles), release
    chosen = profiles.get(profile)
    return chosen, version or chosen.reference


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
@click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes.")
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
) -> None:
    """A fake vLLM OpenAI-compatible server, faithful to one release."""
    started = time.monotonic()
    from fakes.server import GracefulServer, bind, uvicorn_config
    from fakes.vllm import VllmConfig, create_vllm_app

    chosen, version = resolve_vllm_profile(release, profile)
    names = served or ((model_path,) if model_path else ("fake-model",))
    config = VllmConfig(
        profile=chosen,
        version=version,
        served_model_names=names,
        model_path=model_path,
        api_keys=api_keys,
        enable_auto_tool_choice=enable_auto_tool_choice,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        max_num_seqs=max_num_seqs,
        max_model_len=max_model_len,
        timing=Timing(ttft=ttft, itl=itl, jitter=jitter, seed=seed),
        script=_load_script(script_path),
        control_plane=not no_control_plane,
    )
    sock = bind(host, port)
    app = create_vllm_app(config)

    server = GracefulServer(uvicorn_config(app, host, sock.getsockname()[1], log_level="info"))
    url = f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}"
    _banner(
        url,
        chosen,
        version,
        names[0],
        api_keys[0] if api_keys else None,
        time.monotonic() - started,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))


def _banner(
    url: str, profile: Profile, version: str, model: str, key: str | None, elapsed: float
) -> None:
    console = Console(stderr=True)
    # the key itself never goes to a terminal or a CI log
    auth = ' -H "Authorization: Bearer $API_KEY"' if key else ""
    key_code = "os.environ['API_KEY']" if key else "'none'"
    console.print(f"[bold green]fake vLLM {version}[/] ({profile.name}: {profile.summary})")
    console.print(f"listening on [bold]{url}[/]  (ready in {elapsed * 1000:.0f} ms)")
    console.print("try:", style="dim")
    console.print(
        f"  curl {url}/v1/chat/completions{auth} -H 'Content-Type: application/json' \\\n"
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


def _litellm_config(
    config_path: str, release: str | None, profile: str | None
) -> tuple[LitellmConfig, LitellmProfile]:
    from fakes.litellm import ConfigError, load_config, resolve_litellm_profile

    chosen, version = resolve_litellm_profile(release, profile)
    try:
        config = load_config(Path(config_path), chosen, version)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for warning in config.warnings:
        click.echo(f"warning: {warning}", err=True)
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
@click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes.")
def serve_litellm(
    config_path: str,
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    no_control_plane: bool,
) -> None:
    """A fake LiteLLM proxy that reads a real LiteLLM config.yaml."""
    import dataclasses

    started = time.monotonic()
    from fakes.litellm import create_litellm_app
    from fakes.server import GracefulServer, bind, uvicorn_config

    config, chosen = _litellm_config(config_path, release, profile)
    config = dataclasses.replace(config, control_plane=not no_control_plane)
    sock = bind(host, port)
    app = create_litellm_app(config)

    server_header = chosen.knobs.server_header
    server = GracefulServer(
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
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))


@serve.command("stack")
@click.option("--vllm-version", help=f"vLLM release (default {DEFAULT_VLLM_VERSION}).")
@click.option("--litellm-version", help="LiteLLM release (default: the newest profile).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--vllm-port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--litellm-port", default=4000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model", default="fake-model", show_default=True, help="The served model name.")
@click.option("--master-key", help="Require this key at the fake LiteLLM (default: none).")
def serve_stack(
    vllm_version: str | None,
    litellm_version: str | None,
    host: str,
    vllm_port: int,
    litellm_port: int,
    model: str,
    master_key: str | None,
) -> None:
    """The fake vLLM with the fake LiteLLM in front of it, in one process."""
    started = time.monotonic()
    from fakes.litellm import Deployment, LitellmConfig, create_litellm_app
    from fakes.litellm import resolve_litellm_profile as resolve_litellm
    from fakes.server import bind, serve_together, uvicorn_config
    from fakes.vllm import VllmConfig, create_vllm_app

    vllm_profile, vllm_release = resolve_vllm_profile(vllm_version, None)
    litellm_profile, litellm_release = resolve_litellm(litellm_version, None)
    vllm_sock = bind(host, vllm_port)
    litellm_sock = bind(host, litellm_port)
    vllm_url = _url(host, vllm_sock.getsockname()[1])
    litellm_url = _url(host, litellm_sock.getsockname()[1])
    vllm_app = create_vllm_app(
        VllmConfig(
            profile=vllm_profile,
            version=vllm_release,
            served_model_names=(model,),
            enable_auto_tool_choice=True,
            tool_call_parser="hermes",
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
            master_key=master_key,
        )
    )
    server_header = litellm_profile.knobs.server_header
    console = Console(stderr=True, soft_wrap=True)
    console.print(
        f"[bold green]fake LiteLLM {litellm_release}[/] ({litellm_profile.name}) on "
        f"[bold]{litellm_url}[/] -> [bold green]fake vLLM {vllm_release}[/] "
        f"({vllm_profile.name}) on [bold]{vllm_url}[/]"
    )
    console.print(f"ready in {(time.monotonic() - started) * 1000:.0f} ms", style="dim")
    _curl(console, litellm_url, model, master_key)
    console.print(f"  upstream log: {vllm_url}/_fake/requests", style="dim")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
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
                ]
            )
        )


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


def _add_commands() -> None:
    from contracts.cli import matrix
    from fakes.record.cli import cassette, record, replay

    for command in (matrix, record, replay, cassette):
        main.add_command(command)


_add_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

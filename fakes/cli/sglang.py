"""``llm-fakes serve sglang``: a fake SGLang server, with SGLang's own launch_server flags
where they mean something here."""

from __future__ import annotations

import contextlib
import socket

import click

from fakes.cli._banner import console_line
from fakes.cli._terminal import terminal
from fakes.http.exposure import check_exposure
from fakes.profiles import ProfileError
from fakes.profiles._registry import DEFAULT_SGLANG_VERSION, resolve_sglang_profile


@click.command("sglang")
@click.option(
    "--version",
    "release",
    help=f"SGLang release to imitate, e.g. 0.5.2 (0.4 on; default {DEFAULT_SGLANG_VERSION}).",
)
@click.option("--profile", help="A built-in profile name or a YAML file overriding knobs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=30000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--model-path", help="Reported by /get_model_info.")
@click.option("--served-model-name", default="fake-model", show_default=True)
@click.option("--api-key", help="Require 'Authorization: Bearer K' (not on /health*).")
@click.option("--tool-call-parser", help="e.g. qwen25: tool calls are parsed out of the text.")
@click.option("--reasoning-parser", help="e.g. qwen3: reasoning goes to reasoning_content.")
@click.option("--context-length", default=32768, show_default=True, type=click.IntRange(16))
@click.option("--max-running-requests", default=256, show_default=True, type=click.IntRange(1))
@click.option("--script", "script_path", help="YAML script of request-matching replies.")
@click.option("--no-control-plane", is_flag=True, help="Serve no /_fake/ routes.")
@click.option("--control-token", help="Require this token on every /_fake/ route.")
def serve_sglang(
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    model_path: str | None,
    served_model_name: str,
    api_key: str | None,
    tool_call_parser: str | None,
    reasoning_parser: str | None,
    context_length: int,
    max_running_requests: int,
    script_path: str | None,
    no_control_plane: bool,
    control_token: str | None,
) -> None:
    """A fake SGLang OpenAI-compatible server, faithful to one release."""
    from fakes.cli.serve import warn_past_newest
    from fakes.model.script import ScriptFileError, load_script
    from fakes.sglang import SglangConfig, create_sglang_app

    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    try:
        chosen, version = resolve_sglang_profile(release, profile)
        script = load_script(script_path)
    except (ProfileError, ScriptFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    warn_past_newest("SGLang", release, DEFAULT_SGLANG_VERSION, chosen.name)
    config = SglangConfig(
        profile=chosen,
        version=version,
        served_model_name=served_model_name,
        model_path=model_path,
        api_key=api_key,
        tool_call_parser=tool_call_parser,
        reasoning_parser=reasoning_parser,
        context_length=context_length,
        max_running_requests=max_running_requests,
        script=script,
        control_plane=not no_control_plane,
        control_token=control_token,
    )
    from fakes.http.server import FakeServer, uvicorn_config

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(f"--port {port}: {exc.strerror}") from None
    bound = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}"
    console = terminal()
    console.print(
        f"[bold green]fake SGLang {version}[/] ({chosen.name}) serving "
        f"[bold]{served_model_name}[/] on [bold]{url}[/]"
    )
    console.print(
        f"  curl {url}/v1/chat/completions -H 'content-type: application/json' "
        f'-d \'{{"model":"{served_model_name}","messages":[{{"role":"user",'
        '"content":"hi"}]}\'',
        style="dim",
        markup=False,
    )
    console_line(console, url, config.control_plane, control_token)
    server = FakeServer(uvicorn_config(create_sglang_app(config), host, bound, log_level="info"))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])

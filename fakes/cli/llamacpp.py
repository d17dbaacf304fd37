"""``llm-fakes serve llamacpp --version bNNNN``: llama-server's own flags where they mean
something to a fake (-m, -a/--alias, --api-key, --jinja, --reasoning-format, -np/--parallel,
--slots, --metrics)."""

from __future__ import annotations

import contextlib
import time

import click

from fakes.cli._banner import console_line
from fakes.cli._terminal import terminal
from fakes.http.exposure import check_exposure
from fakes.model.script import ScriptFileError, load_script
from fakes.model.timing import TIMING_LIMITS, Timing
from fakes.profiles import ProfileError, builtin, resolve
from fakes.profiles._llamacpp import LlamacppProfile
from fakes.profiles.versions import VersionError


def build_number(text: str) -> int:
    """``b4800``, ``4800`` -> 4800."""
    digits = text.strip().lower().removeprefix("b")
    if not digits.isdigit():
        raise click.BadParameter(f"{text!r} is not a llama.cpp build (expected e.g. b4800)")
    return int(digits)


def resolve_llamacpp_profile(
    release: str | None, profile: str | None
) -> tuple[LlamacppProfile, int]:
    from fakes.llamacpp import DEFAULT_LLAMACPP_BUILD

    build = build_number(release) if release else None
    chosen, reported = resolve(
        builtin("llamacpp"),
        None if build is None else str(build),
        str(DEFAULT_LLAMACPP_BUILD),
        profile,
    )
    return chosen, int(reported)


@click.command("llamacpp")
@click.option("--version", "release", help="llama.cpp build to imitate, e.g. b4800.")
@click.option("--profile", help="A built-in profile name or a YAML file overriding knobs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("-m", "--model", "model_path", default="models/fake-model.gguf", show_default=True)
@click.option("-a", "--alias", help="The model name bodies and /v1/models report.")
@click.option("--api-key", "api_keys", multiple=True, help="Require this key (repeatable).")
@click.option(
    "--jinja/--no-jinja", default=None, help="Chat templates with tools (default: the build's)."
)
@click.option(
    "--reasoning-format",
    default="deepseek",
    show_default=True,
    type=click.Choice(["none", "deepseek", "deepseek-legacy", "auto"]),
    help="none keeps <think> in content; the others fill reasoning_content.",
)
@click.option("-np", "--parallel", default=1, show_default=True, type=click.IntRange(1, 1024))
@click.option("-c", "--ctx-size", default=4096, show_default=True, type=click.IntRange(16))
@click.option("--slots/--no-slots", default=None, help="The /slots route (default: the build's).")
@click.option("--metrics", is_flag=True, help="The /metrics route.")
@click.option(
    "--ttft", default=0.0, show_default=True, type=click.FloatRange(0, TIMING_LIMITS["ttft"])
)
@click.option(
    "--itl", default=0.0, show_default=True, type=click.FloatRange(0, TIMING_LIMITS["itl"])
)
@click.option("--seed", default=0, show_default=True)
@click.option("--script", "script_path", help="YAML script of request-matching replies.")
@click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes.")
@click.option("--control-token", envvar="LLM_FAKES_CONTROL_TOKEN")
def serve_llamacpp(
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    model_path: str,
    alias: str | None,
    api_keys: tuple[str, ...],
    jinja: bool | None,
    reasoning_format: str,
    parallel: int,
    ctx_size: int,
    slots: bool | None,
    metrics: bool,
    ttft: float,
    itl: float,
    seed: int,
    script_path: str | None,
    no_control_plane: bool,
    control_token: str | None,
) -> None:
    """A fake llama.cpp llama-server, faithful to one build range."""
    started = time.monotonic()
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.cli.serve import _bind, warn_past_newest
    from fakes.http.server import FakeServer, uvicorn_config
    from fakes.llamacpp import DEFAULT_LLAMACPP_BUILD, LlamacppConfig, create_llamacpp_app

    try:
        chosen, build = resolve_llamacpp_profile(release, profile)
        script = load_script(script_path)
    except (ProfileError, VersionError, ScriptFileError) as exc:
        raise click.ClickException(str(exc)) from None
    if release is not None:
        warn_past_newest("llama.cpp", str(build), str(DEFAULT_LLAMACPP_BUILD), chosen.name)
    config = LlamacppConfig(
        profile=chosen,
        build=build,
        model_path=model_path,
        alias=alias,
        api_keys=api_keys,
        jinja=jinja,
        reasoning_format=reasoning_format,
        parallel=parallel,
        ctx_size=ctx_size,
        slots=slots,
        metrics=metrics,
        timing=Timing(ttft=ttft, itl=itl, seed=seed),
        script=script,
        control_plane=not no_control_plane,
        control_token=control_token or None,
    )
    sock = _bind(host, port, "--port")
    app = create_llamacpp_app(config)
    server = FakeServer(uvicorn_config(app, host, sock.getsockname()[1], log_level="info"))
    url = f"http://{'[' + host + ']' if ':' in host else host}:{sock.getsockname()[1]}"
    console = terminal()
    console.print(f"[bold green]fake llama.cpp b{build}[/] ({chosen.name}: {chosen.summary})")
    elapsed = (time.monotonic() - started) * 1000
    console.print(f"listening on [bold]{url}[/]  (ready in {elapsed:.0f} ms)")
    console.print(f"model: {config.model_name}", style="dim")
    console_line(console, url, config.control_plane, config.control_token)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])

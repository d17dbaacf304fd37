"""``llm-fakes serve ollama``: a fake Ollama on its own port, 11434 by default."""

from __future__ import annotations

import contextlib
import time

import click

from fakes.cli._banner import console_line, url_of
from fakes.cli._terminal import terminal
from fakes.http.exposure import check_exposure

# The newest release the Ollama profiles were read from (newer ones warn).
DEFAULT_OLLAMA_VERSION = "0.32.15"


@click.command("ollama")
@click.option(
    "--version",
    "release",
    help="Ollama release to imitate, e.g. 0.5.7 (any from 0.3.1; "
    f"default {DEFAULT_OLLAMA_VERSION}).",
)
@click.option("--profile", help="A built-in profile name or a YAML file overriding knobs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=11434, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--model",
    "models",
    multiple=True,
    help='A pulled model (repeatable; "name" is listed as "name:latest"). Default: fake-model.',
)
@click.option("--seed", type=int, help="Seed the random ids (chatcmpl-N, call_x, resp_N).")
@click.option("--script", "script_path", help="YAML script of request-matching replies.")
@click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes.")
@click.option(
    "--control-token",
    envvar="LLM_FAKES_CONTROL_TOKEN",
    help="Require this token on every /_fake/ route (Authorization: Bearer TOKEN).",
)
@click.option("--log-limit", default=1000, show_default=True, type=click.IntRange(1, 1_000_000))
def serve_ollama(
    release: str | None,
    profile: str | None,
    host: str,
    port: int,
    models: tuple[str, ...],
    seed: int | None,
    script_path: str | None,
    no_control_plane: bool,
    control_token: str | None,
    log_limit: int,
) -> None:
    """A fake Ollama (OpenAI-compatible /v1 and native /api), faithful to one release."""
    started = time.monotonic()
    if control_token is not None and not control_token.strip():
        raise click.BadParameter(
            "an empty token would protect nothing", param_hint="--control-token"
        )
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.cli.serve import _bind, warn_past_newest
    from fakes.http.server import FakeServer, uvicorn_config
    from fakes.model.script import load_script
    from fakes.ollama import OllamaConfig, create_ollama_app
    from fakes.profiles import builtin, resolve

    chosen, version = resolve(builtin("ollama"), release, DEFAULT_OLLAMA_VERSION, profile)
    warn_past_newest("Ollama", release, DEFAULT_OLLAMA_VERSION, chosen.name)
    config = OllamaConfig(
        profile=chosen,
        version=version,
        models=models or ("fake-model",),
        script=load_script(script_path),
        seed=seed,
        control_plane=not no_control_plane,
        control_token=control_token or None,
        log_limit=log_limit,
    )
    sock = _bind(host, port, "--port")
    app = create_ollama_app(config)
    # Go's net/http sends no Server header
    settings = uvicorn_config(
        app, host, sock.getsockname()[1], log_level="info", server_header=False
    )
    server = FakeServer(settings)
    url = url_of(host, sock.getsockname()[1])
    console = terminal()
    console.print(f"[bold green]fake Ollama {version}[/] ({chosen.name}: {chosen.summary})")
    elapsed = (time.monotonic() - started) * 1000
    console.print(f"listening on [bold]{url}[/]  (ready in {elapsed:.0f} ms)")
    console.print(f"models: {', '.join(config.models)}", style="dim")
    console.print("try:", style="dim")
    console.print(
        f'  curl {url}/api/chat -d \'{{"model": "{config.models[0]}", "messages": '
        '[{"role": "user", "content": "Hello"}]}\'',
        markup=False,
        highlight=False,
    )
    console_line(console, url, config.control_plane, config.control_token)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])

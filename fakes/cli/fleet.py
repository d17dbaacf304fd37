"""``llm-fakes serve fleet FLEET.yaml``: the replicas and the fake LiteLLM in one process, on
``serve stack``'s machinery (binding, uvicorn configs, one event loop for all servers)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fakes.cli._terminal import terminal
from fakes.fleet import FleetError, FleetSpec, ReplicaSpec, litellm_config, load_fleet
from fakes.http.exposure import check_exposure

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from fakes.vllm import VllmConfig


def _replica_config(
    fleet: FleetSpec, replica: ReplicaSpec, no_control_plane: bool, control_token: str | None
) -> VllmConfig:
    from fakes.vllm.options import VllmOptions

    options = VllmOptions(
        release=replica.version,
        profile=replica.profile,
        served=(fleet.model,),
        enable_auto_tool_choice=True,
        tool_call_parser="hermes",
        max_num_seqs=replica.max_num_seqs,
        max_model_len=replica.max_model_len,
        ttft=replica.ttft,
        itl=replica.itl,
        jitter=replica.jitter,
        seed=replica.seed,
        script_path=replica.script,
        replica_name=replica.name,
        no_control_plane=no_control_plane,
        control_token=control_token,
    )
    return dataclasses.replace(options.config(), faults=replica.faults)


@click.command("fleet")
@click.argument("fleet_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="The fake LiteLLM's port (default: litellm.port in the fleet file, else 4000).",
)
@click.option(
    "--print-litellm-config",
    is_flag=True,
    help="Print the LiteLLM config.yaml for these replicas (for a real proxy: the master key "
    "is read from LITELLM_MASTER_KEY) and exit.",
)
@click.option("--no-control-plane", is_flag=True, help="Disable the /_fake/ routes.")
@click.option(
    "--control-token",
    envvar="LLM_FAKES_CONTROL_TOKEN",
    help="Require this token on every /_fake/ route of every server.",
)
def serve_fleet(
    fleet_file: Path,
    host: str,
    port: int | None,
    print_litellm_config: bool,
    no_control_plane: bool,
    control_token: str | None,
) -> None:
    """N fake vLLM replicas behind a fake LiteLLM, from a fleet file (see docs/fleet.md)."""
    started = time.monotonic()
    try:
        fleet = load_fleet(fleet_file)
    except FleetError as exc:
        raise click.ClickException(str(exc)) from None
    if port is not None:
        fleet = fleet.model_copy(
            update={"litellm": fleet.litellm.model_copy(update={"port": port})}
        )
    if print_litellm_config:
        unnamed = [r.name for i, r in enumerate(fleet.replicas) if fleet.port_of(i) == 0]
        if unnamed:
            raise click.ClickException(
                f"replica(s) {', '.join(unnamed)} have port 0, which a config cannot point at; "
                "give each a port"
            )
        bases = [f"http://{host}:{fleet.port_of(i)}" for i in range(len(fleet.replicas))]
        key = "os.environ/LITELLM_MASTER_KEY"
        click.echo(litellm_config(fleet, bases, key, for_real=True), nl=False)
        return
    check_exposure(host, control_plane=not no_control_plane, control_token=control_token)
    from fakes.cli._banner import curl_examples, url_of
    from fakes.cli.serve import _bind, _newest_litellm, _refuse, warn_past_newest
    from fakes.http.server import run_loop, serve_together, uvicorn_config
    from fakes.litellm import (
        ConfigError,
        UnsafeMasterKeyError,
        create_litellm_app,
        parse_config,
        resolve_litellm_profile,
    )
    from fakes.profiles import DEFAULT_VLLM_VERSION, resolve_vllm_profile
    from fakes.vllm import create_vllm_app

    for replica in fleet.replicas:  # every release resolves before anything binds
        chosen, _ = resolve_vllm_profile(replica.version, replica.profile)
        warn_past_newest("vLLM", replica.version, DEFAULT_VLLM_VERSION, chosen.name)
    profile, release = resolve_litellm_profile(fleet.litellm.version, None)
    key = fleet.litellm.master_key or f"sk-{secrets.token_hex(24)}"
    sockets = []
    try:
        for index in range(len(fleet.replicas)):
            sockets.append(_bind(host, fleet.port_of(index), f"replicas[{index}].port"))
        sockets.append(_bind(host, fleet.litellm.port, "litellm.port"))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    ports = [sock.getsockname()[1] for sock in sockets]
    bases = [url_of(host, port) for port in ports[:-1]]
    configs = [
        _replica_config(fleet, replica, no_control_plane, control_token or None)
        for replica in fleet.replicas
    ]
    apps = [create_vllm_app(replica_config) for replica_config in configs]
    text = litellm_config(fleet, bases, key)
    try:
        config = parse_config(text, str(fleet_file), profile, release, os.environ)
    except UnsafeMasterKeyError as exc:
        _refuse(exc)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    warn_past_newest("LiteLLM", fleet.litellm.version, _newest_litellm(), profile.name)
    config = dataclasses.replace(
        config, control_plane=not no_control_plane, control_token=control_token or None
    )
    peers: dict[str, tuple[str, ASGIApp]] = {
        replica.name: (f"replica {replica.name}", app)
        for replica, app in zip(fleet.replicas, apps, strict=True)
    }
    proxy = create_litellm_app(config, peers=peers)
    url = url_of(host, ports[-1])
    console = terminal()
    console.print(
        f"[bold green]fake LiteLLM {release}[/] on [bold]{url}[/] -> model group "
        f"[bold]{fleet.model}[/] ({config.router.strategy.value})"
    )
    for replica, base, fake in zip(fleet.replicas, bases, configs, strict=True):
        faults = f", {len(replica.faults)} fault rule(s)" if replica.faults else ""
        console.print(
            f"  replica [bold]{replica.name}[/]: fake vLLM {fake.version} on {base} "
            f"(max_num_seqs {replica.max_num_seqs}{faults})"
        )
    console.print(f"ready in {(time.monotonic() - started) * 1000:.0f} ms", style="dim")
    if fleet.litellm.master_key is None:
        console.print(f"master key: MASTER_KEY={key}", markup=False, highlight=False)
    curl_examples(console, url, fleet.model, key)
    servers = [
        (uvicorn_config(app, host, port), sock)
        for app, port, sock in zip(apps, ports, sockets, strict=False)
    ]
    servers.append(
        (
            uvicorn_config(
                proxy, host, ports[-1], log_level="info", server_header=profile.knobs.server_header
            ),
            sockets[-1],
        )
    )
    labels = [f"replica {r.name} :{p}" for r, p in zip(fleet.replicas, ports, strict=False)]
    with contextlib.suppress(KeyboardInterrupt):
        run_loop(serve_together(servers, labels=[*labels, f"fake LiteLLM :{ports[-1]}"]))

"""``llm-fakes record``, ``llm-fakes replay`` and ``llm-fakes cassette convert``."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import click
from rich.console import Console
from starlette.types import ASGIApp

from fakes.http.server import GracefulServer, bind, uvicorn_config
from fakes.record._cassette import CassetteError, Interaction, load, save
from fakes.record._convert import convert as convert_file
from fakes.record._recorder import Recorder
from fakes.record._redact import Redactor
from fakes.record._replay import DEFAULT_IGNORED, Replayer


class _Tally:
    """One line per exchange as it happens, and a summary when the server stops."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.served = 0
        self.missed = 0

    def recorded(self, item: Interaction) -> None:
        self.served += 1
        size = sum(len(c.data) for c in item.chunks)
        cut = ", cut (complete: false)" if not item.complete else ""
        click.echo(
            f"#{self.served} {item.method} {item.path} -> {item.status}, "
            f"{len(item.chunks)} chunks, {size} bytes{cut}"
        )

    def replayed(self, method: str, path: str, item: Interaction | None, reason: str) -> None:
        shown = self.redactor.text(path)
        if item is None:
            self.missed += 1
            click.echo(f"miss {method} {shown} -> 404: {self.redactor.text(reason)}", err=True)
            return
        self.served += 1
        click.echo(f"{method} {shown} -> {item.status}, {len(item.chunks)} chunks replayed")


def _serve(app: ASGIApp, host: str, port: int, lines: list[str], *, proxy: bool = False) -> None:
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{bound}"
    console = Console(stderr=True, highlight=False)
    console.print(f"[bold]{lines[0]}[/] on {url}", markup=True)
    for line in lines[1:]:
        console.print(f"  {line}", markup=False)
    # the recorder relays the upstream's own server and date headers; replay adds a date
    server = GracefulServer(
        uvicorn_config(
            app, host, bound, log_level="info", server_header=False, date_header=not proxy
        )
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(sockets=[sock]))


@click.command("record")
@click.option(
    "--upstream", required=True, help="Base URL to forward to, e.g. http://127.0.0.1:8000"
)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Cassette (.jsonl).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--redact", "patterns", multiple=True, help="Extra regex to redact (repeatable).")
def record(upstream: str, out: str, host: str, port: int, patterns: tuple[str, ...]) -> None:
    """A recording proxy: point a client at it; every exchange lands in the cassette."""
    try:
        redactor = Redactor(patterns)
        tally = _Tally(redactor)
        recorder = Recorder(upstream, Path(out), redactor=redactor, on_exchange=tally.recorded)
    except (ValueError, CassetteError) as exc:
        raise click.ClickException(str(exc)) from None
    _serve(
        recorder,
        host,
        port,
        [
            "llm-fakes record",
            f"forwarding to {recorder.shown_upstream}",
            f"writing {out} (a line after every exchange; secrets redacted before writing)",
        ],
        proxy=True,
    )
    click.echo(f"recorded {tally.served} exchanges; {out} holds {len(recorder.interactions)}")


@click.command("replay")
@click.argument("cassettes", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--speed", default=1.0, show_default=True, type=click.FloatRange(0), help="0: instant."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    help="Request JSON field to ignore when matching, besides "
    + ", ".join(sorted(DEFAULT_IGNORED)),
)
def replay(
    cassettes: tuple[str, ...], speed: float, host: str, port: int, ignored: tuple[str, ...]
) -> None:
    """Serve recorded interactions with their original (or scaled) timing."""
    try:
        loaded = [load(path) for path in cassettes]
    except CassetteError as exc:
        raise click.ClickException(str(exc)) from None
    tally = _Tally(Redactor())
    app = Replayer(
        loaded, speed=speed, ignore=set(ignored) | DEFAULT_IGNORED, on_request=tally.replayed
    )
    count = sum(len(c.interactions) for c in loaded)
    _serve(app, host, port, ["llm-fakes replay", f"{count} interactions, speed {speed:g}"])
    click.echo(f"replayed {tally.served} requests, {tally.missed} missed")


@click.group("cassette")
def cassette() -> None:
    """Work with cassette files."""


@cassette.command("convert")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--redact", "patterns", multiple=True, help="Extra regex to redact (repeatable).")
def convert(source: str, out: str, patterns: tuple[str, ...]) -> None:
    """Convert a vcrpy YAML cassette or a HAR file (redacting it on the way)."""
    try:
        header, items = convert_file(Path(source), Redactor(patterns))
        save(out, header, items)
    except (ValueError, CassetteError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {out}: {len(items)} interactions from {header.source}")


@cassette.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(paths: tuple[str, ...]) -> None:
    """Validate cassettes; errors name the file and line."""
    for path in paths:
        try:
            loaded = load(path)
        except CassetteError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(
            f"{path}: {len(loaded.interactions)} interactions, upstream {loaded.header.upstream}"
        )

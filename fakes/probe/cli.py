"""``llm-fakes probe URL``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from fakes.probe._client import MAX_REQUESTS, ProbeError
from fakes.probe._probe import probe_url
from fakes.probe._probes import PROBES
from fakes.probe._report import profile_yaml, render, to_json


def _list_probes(console: Console) -> None:
    for number, p in enumerate(PROBES, 1):
        when = f" [only {p.when}]" if p.when else ""
        console.print(
            f"{number:2}. {p.name}: {p.method} {p.path}{when} - {p.measures}",
            highlight=False,
            markup=False,
        )
    console.print(f"at most {MAX_REQUESTS} requests, retries after 429 included")


@click.command("probe")
@click.argument("url", required=False)
@click.option("--api-key", help="The server's key (also measures auth behaviour).")
@click.option("--model", help="Model to probe (default: the first in /v1/models).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write a profile YAML."
)
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option(
    "--expect",
    metavar="PROFILE",
    help="Exit 1 unless the best match is PROFILE (e.g. vllm-0.9) with no differing knob.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any knob differs from the best match.")
@click.option(
    "--rate",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Requests per second at most (0: no limit).",
)
@click.option("--list", "list_probes", is_flag=True, help="List the probe set and exit.")
def probe(
    url: str | None,
    api_key: str | None,
    model: str | None,
    out: Path | None,
    as_json: bool,
    expect: str | None,
    strict: bool,
    rate: float,
    list_probes: bool,
) -> None:
    """Fingerprint a live vLLM or LiteLLM server: the built-in profile it behaves like, each
    differing knob with the bytes it was read from, and (--out) a profile that reproduces it."""
    console = Console(stderr=as_json)
    if list_probes:
        _list_probes(console)
        return
    if not url:
        raise click.UsageError("missing URL (e.g. http://127.0.0.1:8000)")
    try:
        report = asyncio.run(probe_url(url, api_key=api_key, model=model, rate=rate))
    except ProbeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(to_json(report), indent=2))
    else:
        render(report, console)
    if out is not None:
        out.write_text(profile_yaml(report.primary, report.run.base_url), encoding="utf-8")
        console.print(f"wrote {out}")
        for layer in report.layers[1:]:  # the vLLM behind a LiteLLM proxy
            extra = out.with_name(f"{out.stem}.{layer.backend}{out.suffix}")
            extra.write_text(profile_yaml(layer, report.run.base_url), encoding="utf-8")
            console.print(f"wrote {extra} (the {layer.backend} behind the proxy)")
    failed = []
    if expect is not None:
        layer = report.layer(expect.split("-")[0]) or report.primary
        if not layer.ok(expect):
            best = layer.best
            failed.append(
                f"expected {expect}: best match {best.profile.name}, "
                f"{len(best.differences)} knob(s) differ"
            )
    if strict and report.primary.best.differences:
        failed.append(f"{len(report.primary.best.differences)} knob(s) differ (--strict)")
    if failed:
        click.echo("fail: " + "; ".join(failed), err=True)
        sys.exit(1)

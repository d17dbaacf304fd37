"""``llm-fakes profiles``: the built-in profiles, their releases and what each changes; with
``--explain KNOB`` one knob across them (value, cited source, tests that pin it); with
``--catalogue`` the quirk catalogue page (docs/quirks.md)."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fakes.profiles import ProfileError, builtin
from fakes.profiles import _explain as explaining


@click.command("profiles")
@click.option(
    "--backend",
    default="vllm",
    show_default=True,
    type=click.Choice(["vllm", "litellm", "ollama", "llamacpp"]),
)
@click.option(
    "--explain",
    "knob",
    metavar="KNOB",
    help="One knob in every profile: its value, the source each profile file cites for it, "
    "and the tests that name it.",
)
@click.option("--catalogue", is_flag=True, help="Print the quirk catalogue (docs/quirks.md).")
def list_profiles(backend: str, knob: str | None, catalogue: bool) -> None:
    """List built-in profiles, the releases they cover and what each changes."""
    if catalogue:
        click.echo(explaining.catalogue(), nl=False)
        return
    if knob is not None:
        _explain(knob)
        return
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


def _explain(knob: str) -> None:
    backends = [b for b in explaining.BACKENDS if knob in explaining.knobs_of(b)]
    if not backends:
        known = sorted({k for b in explaining.BACKENDS for k in explaining.knobs_of(b)})
        raise ProfileError(f"unknown knob {knob!r}; known: {', '.join(known)}")
    console = Console(soft_wrap=True)
    for backend in backends:
        table = Table(
            title=f"{backend}: {knob}  (docs/quirks.md#{explaining.anchor(backend, knob)})"
        )
        table.add_column("profile", overflow="fold")
        table.add_column("releases", overflow="fold")
        table.add_column("value", overflow="fold")
        table.add_column("source (this profile's file)", overflow="fold")
        for row in explaining.explain(backend, knob):
            source = "\n".join(row.sources) or ("set, no source cited" if row.sets else "")
            table.add_row(
                row.profile,
                row.versions,
                escape(json.dumps(row.value)),
                escape(source),
            )
        console.print(table)
    tests = explaining.checkout_tests()
    if tests is None:
        console.print("tests that name it: (the project's tests are in its source checkout)")
        return
    named = explaining.naming_tests(knob, tests)
    console.print(f"tests that name it ({len(named)}):")
    for where in named:
        console.print(f"  {where}", markup=False, highlight=False)

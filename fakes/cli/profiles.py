"""``llm-fakes profiles``: the built-in profiles, their releases and what each changes."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from fakes.profiles import builtin


@click.command("profiles")
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

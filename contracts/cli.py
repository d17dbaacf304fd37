"""``llm-fakes matrix``: run drivers x backends x scenarios and write the reports."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from contracts._backends import select_backends
from contracts.drivers import DRIVERS, REFERENCE
from contracts.drivers._subprocess import subprocess_spec
from contracts.matrix import CRASH, FAIL, OUTCOMES, PASS, Cell, plan, run_matrix
from contracts.report import write_reports
from contracts.scenarios import SCENARIOS
from contracts.shard import PARTIAL, Shard, ShardError, run_identity, write_partial
from contracts.shard import merge as merge_shards

# the module each optional extra installs
EXTRA_MODULES = {
    "openai": "openai",
    "litellm": "litellm",
    "langchain": "langchain_openai",
    "pydantic-ai": "pydantic_ai",
    "anthropic": "anthropic",
}


def default_drivers() -> list[str]:
    """The reference drivers, plus every client adapter whose library is installed."""
    names = list(REFERENCE)
    for name in DRIVERS.names():
        spec = DRIVERS.get(name)
        module = EXTRA_MODULES.get(spec.extra or "")
        if name not in names and module and importlib.util.find_spec(module):
            names.append(name)
    return names


@click.group("matrix", invoke_without_command=True)
@click.option(
    "--driver",
    "drivers",
    multiple=True,
    help=f"A driver (repeat): {', '.join(DRIVERS.names())}, or your own as module:factory. "
    "Default: the reference drivers and every client adapter whose library is installed.",
)
@click.option(
    "--driver-cmd",
    "commands",
    multiple=True,
    help="A driver in any language speaking the JSON-lines protocol (repeat); it runs "
    "beside the --driver ones (or the default drivers).",
)
@click.option("--backend", "backends", multiple=True, help="Backend glob, e.g. 'vllm-0.*'.")
@click.option("--scenario", "scenarios", multiple=True, help="Scenario glob, e.g. 'tool_*'.")
@click.option("--out", default="matrix", show_default=True, type=click.Path(file_okay=False))
@click.option("--live", is_flag=True, help="Run every cell over a real loopback socket.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    help="Cells at a time (default: 1 in-process, where cells are CPU-bound; 8 with --live).",
)
@click.option("--check", is_flag=True, help="Exit 1 if openai-compatible fails any cell.")
@click.option(
    "--shard",
    "shard_text",
    metavar="I/N",
    help="Run only shard I of N (a fixed split of the cells, the same on every machine) and "
    f"write OUT/{PARTIAL}; then `llm-fakes matrix merge DIR... --out DIR` writes the reports.",
)
@click.pass_context
def matrix(
    ctx: click.Context,
    drivers: tuple[str, ...],
    commands: tuple[str, ...],
    backends: tuple[str, ...],
    scenarios: tuple[str, ...],
    out: str,
    live: bool,
    concurrency: int | None,
    check: bool,
    shard_text: str | None,
) -> None:
    """Run the compatibility matrix and write matrix.json, matrix.md and matrix.html.

    `llm-fakes matrix merge --help`: the reports from the partial results of shards."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        shard = Shard.parse(shard_text) if shard_text is not None else None
        here = (Path.cwd(),)  # a console script does not put it on sys.path
        specs = [DRIVERS.get(name, here) for name in drivers or default_drivers()]
        specs += [subprocess_spec(command) for command in commands]
        chosen_backends = select_backends(list(backends))
        chosen = SCENARIOS.select(scenarios)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console()
    planned = plan(specs, chosen_backends, chosen)
    keep = shard.takes if shard is not None else None
    total = sum(1 for i in range(len(planned)) if keep is None or keep(i))
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("cells", total=total)

        def advance(cell: Cell) -> None:
            progress.advance(task)

        result = asyncio.run(
            run_matrix(
                specs,
                chosen_backends,
                chosen,
                live=live,
                concurrency=concurrency or (8 if live else 1),
                on_cell=advance,
                keep=keep,
            )
        )
    part = f" (shard {shard} of {len(planned)} cells)" if shard is not None else ""
    table = Table(title=f"{len(result.cells)} cells{part} in {result.seconds:.2f} s")
    table.add_column("driver")
    for outcome in OUTCOMES:
        table.add_column(outcome, justify="right")
    for driver, counts in result.summary().items():
        table.add_row(driver, *(str(counts[o]) for o in OUTCOMES))
    console.print(table)
    if shard is None:
        for path in write_reports(result, Path(out)):
            console.print(f"wrote {path}")
    else:
        keys = [(spec.name, backend.name, scenario.id) for spec, scenario, backend in planned]
        identity = run_identity(result.drivers, result.backends, [s.id for s in chosen], keys, live)
        console.print(f"wrote {write_partial(result, shard, identity, Path(out))}")
    if check:
        bad = [
            c
            for c in result.cells
            if c.driver == "openai-compatible" and c.outcome in (FAIL, CRASH)
        ]
        if bad:
            raise click.ClickException(
                f"openai-compatible: {len(bad)} cells not {PASS}: "
                + ", ".join(f"{c.backend}/{c.scenario}" for c in bad[:10])
            )


@matrix.command("merge")
@click.argument(
    "directories", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--out", default="matrix", show_default=True, type=click.Path(file_okay=False, path_type=Path)
)
def merge(directories: tuple[Path, ...], out: Path) -> None:
    """Merge the partial results of every shard of one run (`matrix --shard I/N --out DIR`)
    into the matrix.json, matrix.md and matrix.html that one run would have written."""
    try:
        result = merge_shards(directories)
    except ShardError as exc:
        raise click.ClickException(str(exc)) from None
    console = Console()
    for path in write_reports(result, out):
        console.print(f"wrote {path}")


@click.command(
    "contract",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
def contract(pytest_args: tuple[str, ...]) -> None:
    """The contract suite against your driver, from an installed llm-fakes (no checkout):
    pytest on contracts.suite with these options, e.g. --driver-cmd "node driver.mjs",
    --driver my_pkg.driver:factory, --llm-backend 'vllm-0.*', -k 'stream_*', --llm-live.
    Same as: pytest --pyargs contracts.suite [OPTIONS]."""
    import pytest

    if "--help" in pytest_args or "-h" in pytest_args:
        click.echo(click.get_current_context().get_help())
        click.echo("\nThe llm-fakes options of pytest:")
        pytest_args = (*pytest_args, "--help")
    raise SystemExit(int(pytest.main(["--pyargs", "contracts.suite", *pytest_args])))

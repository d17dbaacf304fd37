"""The ``llm-fakes`` command line. It parses and dispatches: ``serve`` (fakes/cli/serve.py)
and ``profiles`` are here, every other command is loaded from its package on first use."""

from __future__ import annotations

import importlib
from typing import Any

import click

from fakes.cli.profiles import list_profiles
from fakes.cli.serve import serve
from fakes.http.exposure import ExposureError
from fakes.model.script import ScriptFileError
from fakes.profiles import ProfileError
from fakes.profiles.versions import VersionError

# Commands whose modules import pytest, respx and the contract suite: loaded on first use,
# so ``serve`` starts without them (start-up time is a benchmark row).
_LAZY = {
    "matrix": "contracts.cli:matrix",
    "contract": "contracts.cli:contract",
    "record": "fakes.record.cli:record",
    "replay": "fakes.record.cli:replay",
    "cassette": "fakes.record.cli:cassette",
    "probe": "fakes.probe.cli:probe",
}


# What the ``pytest`` extra installs (a core install, e.g. a server image, has none of them).
PYTEST_EXTRA = frozenset({"pytest", "_pytest", "syrupy", "respx", "httpx2"})


def _needs_extra(name: str, missing: str) -> click.Command:
    """A command whose module needs the pytest extra: it says so, in one line."""

    def refuse() -> None:
        raise click.ClickException(
            f"llm-fakes {name} needs the pytest extra (no module {missing!r}): "
            "pip install 'llm-fakes[pytest]'"
        )

    return click.Command(name, callback=refuse, help="(needs: pip install 'llm-fakes[pytest]')")


class _Group(click.Group):
    """Our own errors become one clean line, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        if self.name == "main":
            names = sorted({*names, *_LAZY})
        return names

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and self.name == "main" and cmd_name in _LAZY:
            module, attr = _LAZY[cmd_name].split(":")
            try:
                command = getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0] not in PYTEST_EXTRA:
                    raise
                command = _needs_extra(cmd_name, exc.name or "")
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ProfileError, VersionError, OSError, ScriptFileError, ExposureError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(package_name="llm-fakes")
def main() -> None:
    """Faithful fake OpenAI-compatible backends (vLLM, LiteLLM) for testing LLM clients."""


main.add_command(serve)
main.add_command(list_profiles)

__all__ = ["main"]

"""The ``llm-fakes`` command line. It parses and dispatches: ``serve`` (fakes/cli/serve.py)
is here, every other command is loaded from its module on first use."""

from __future__ import annotations

from typing import Any

import click

from fakes.cli._lazy import LazyGroup
from fakes.cli.serve import serve
from fakes.http.exposure import ExposureError
from fakes.model.script import ScriptFileError
from fakes.profiles import ProfileError
from fakes.profiles.versions import VersionError

# Commands loaded on first use, so ``serve`` starts without them (start-up time is a
# benchmark row): some import pytest, respx and the contract suite, ``profiles`` rich's tables.
_LAZY = {
    "matrix": "contracts.cli:matrix",
    "contract": "contracts.cli:contract",
    "record": "fakes.record.cli:record",
    "replay": "fakes.record.cli:replay",
    "cassette": "fakes.record.cli:cassette",
    "probe": "fakes.probe.cli:probe",
    "profiles": "fakes.cli.profiles:list_profiles",
}


class _Group(LazyGroup):
    """Our own errors become one clean line, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ProfileError, VersionError, OSError, ScriptFileError, ExposureError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, lazy=_LAZY)
@click.version_option(package_name="llm-fakes")
def main() -> None:
    """Faithful fake OpenAI-compatible backends (vLLM, LiteLLM) for testing LLM clients."""


main.add_command(serve)

__all__ = ["main"]

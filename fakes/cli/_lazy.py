"""A click group whose commands are loaded from their modules on first use: ``serve vllm``
imports neither the other backends' commands nor the contract suite (start-up time is a
benchmark row); ``--help`` still lists, and loads, every one."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import click

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


class LazyGroup(click.Group):
    """``lazy`` maps a command name to ``"module:attribute"``."""

    def __init__(self, *args: object, lazy: Mapping[str, str] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name].split(":")
            try:
                command = getattr(importlib.import_module(module), attr)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0] not in PYTEST_EXTRA:
                    raise
                command = _needs_extra(cmd_name, exc.name or "")
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command

"""The ``llm-fakes`` command (and ``python -m fakes``): the command line is imported with the
garbage collector paused, and what it loaded (modules: they live as long as the process) is
then moved out of the collector's sight. Re-enabling it without that made its first young
collection scan everything imported meanwhile (about 18 ms of a ``serve vllm`` start).
fakes/cli/_collector.py does the same around a server's own start-up."""

from __future__ import annotations

import gc


def main() -> None:
    paused = gc.isenabled()
    gc.disable()
    try:
        from fakes.cli import main as command_line
    finally:
        gc.freeze()
        if paused:
            gc.enable()
    command_line()

"""The garbage collector around ``serve``'s start-up (fakes/_entry.py, fakes/cli/_collector.py):
no collection runs while a server starts, and the collector is on again once it serves, or
once a command that fails has ended."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from fakes.cli import main

# The entry point run up to uvicorn's Server.run, which is replaced as uvicorn.server loads (so
# nothing is imported before the entry point): it reports the collector's state instead of
# serving.
_PROGRAM = textwrap.dedent(
    """
    import gc
    import importlib.machinery
    import json
    import sys

    collections = []


    def report(self, sockets=None):
        print(json.dumps({"collections": len(collections), "enabled": gc.isenabled(),
                          "frozen": gc.get_freeze_count()}))


    class Patch:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "uvicorn.server":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            load = spec.loader.exec_module

            def exec_module(module):
                load(module)
                module.Server.run = report

            spec.loader.exec_module = exec_module
            return spec


    sys.meta_path.insert(0, Patch)
    sys.argv = ["llm-fakes", *sys.argv[1:]]
    from fakes._entry import main

    gc.collect()  # counts from zero: no young collection is due when the entry point starts
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info))

    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
    """
)


@pytest.mark.parametrize("command", [["serve", "vllm"], ["serve", "vllm", "--no-fast-path"]])
def test_no_collection_while_a_server_starts_and_the_collector_is_on_when_it_serves(
    command: list[str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, *command, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout.splitlines()[-1])
    assert state["collections"] == 0
    assert state["enabled"] is True
    assert state["frozen"] > 10_000  # the modules, profiles and schemas start-up made


def test_a_serve_command_that_fails_leaves_the_collector_on() -> None:
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["serve", "vllm", "--profile", "no-such-profile"])
    assert result.exit_code != 0
    assert "no-such-profile" in result.output
    assert gc.isenabled()

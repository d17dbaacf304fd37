"""Dependencies point one way: the servers import nothing client-side.

A server in a container needs neither the test libraries (pytest, syrupy) nor the client-side
routing (respx, httpx2). A fresh interpreter with those made unimportable must still import
the vLLM and LiteLLM apps and ``llm-fakes serve``'s code path, and build each app.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CLIENT_SIDE = ("httpx2", "respx", "syrupy", "pytest", "_pytest")

_PROGRAM = textwrap.dedent(
    """
    import importlib.abc
    import sys

    BLOCKED = set(sys.argv[1].split(","))


    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"{name} is blocked", name=name)
            return None


    sys.meta_path.insert(0, Blocker())

    from click.testing import CliRunner

    from fakes.cli import main
    from fakes.litellm import DEFAULT_LITELLM_VERSION, stack_app
    from fakes.ollama import OllamaConfig, create_ollama_app
    from fakes.profiles import builtin
    from fakes.vllm import create_vllm_app
    from fakes.vllm.options import VllmOptions

    vllm = create_vllm_app(VllmOptions(release="0.9.2").config())
    ollama = builtin("ollama").newest()
    built = [
        vllm,
        stack_app(DEFAULT_LITELLM_VERSION, vllm),
        create_ollama_app(OllamaConfig(profile=ollama, version=ollama.reference)),
    ]
    help_text = CliRunner().invoke(main, ["serve", "vllm", "--help"]).output
    assert "--max-num-seqs" in help_text, help_text
    # a command that needs the pytest extra says so in one line, no traceback
    refused = CliRunner().invoke(main, ["matrix"])
    assert refused.exit_code == 1, refused.output
    assert "matrix needs the pytest extra" in refused.output, refused.output
    leaked = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
    print(len(built), ",".join(leaked) or "-")
    """
)


def test_the_servers_import_nothing_client_side() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, ",".join(CLIENT_SIDE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "-"]


def test_the_blocker_blocks() -> None:
    """The check above can fail: a client-side import under the same blocker is refused."""
    program = _PROGRAM.split("from click.testing")[0] + "import fakes.transports.routing\n"
    done = subprocess.run(
        [sys.executable, "-c", program, ",".join(CLIENT_SIDE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "is blocked" in done.stderr

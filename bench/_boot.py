"""``python -m bench._boot fake|floor``: one start-up, run up to the moment uvicorn would serve,
then a JSON line of what it cost in counts that do not depend on the machine's load: modules
loaded, garbage collections run, and the process's own CPU time and peak RSS.

``fake`` is ``llm-fakes serve vllm`` (its entry point), ``floor`` is ``uvicorn bench._bare:app``
(uvicorn's own command line). uvicorn's ``Server.run`` is replaced as ``uvicorn.server`` loads,
so nothing is imported earlier than the command itself imports it."""

from __future__ import annotations

import contextlib
import gc
import importlib.machinery
import json
import resource
import sys
from types import ModuleType
from typing import Any

_collections: list[dict[str, Any]] = []


def _report(self: object, sockets: object = None) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "modules": sum(1 for module in sys.modules.values() if module is not None),
                "collections": len(_collections),
                "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
                "max_rss_kib": usage.ru_maxrss,
            }
        ),
        flush=True,
    )


def _count(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _collections.append(info)


class _ReplaceRun:
    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        if name != "uvicorn.server":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        assert spec is not None and spec.loader is not None
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            module.Server.run = _report

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def main() -> None:
    which = sys.argv[1]
    sys.meta_path.insert(0, _ReplaceRun)
    gc.callbacks.append(_count)
    if which == "fake":
        sys.argv = ["llm-fakes", "serve", "vllm", "--port", "0"]
        from fakes._entry import main as command
    else:
        sys.argv = ["uvicorn", "bench._bare:app", "--port", "0", "--log-level", "warning"]
        sys.argv += ["--lifespan", "off"]
        from uvicorn.main import main as command
    # uvicorn's command line exits 3 when its server did not start: here it never serves. The
    # JSON line printed in place of serving is the result; without it the runner fails.
    with contextlib.suppress(SystemExit):
        command()


if __name__ == "__main__":
    main()

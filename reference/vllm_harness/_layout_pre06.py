"""Glue for the releases before 0.6 (0.4.3, 0.5.3): their api_server has no ``init_app_state``.

0.5.3 builds the serving objects (``OpenAIServingChat``, ``OpenAIServingCompletion``, ...) and
sets the module's globals inside ``run_server`` (api_server.py:216-307), called from its
``__main__`` block; 0.4.3 does it, with the middleware of its module-level ``app``, in the
``__main__`` block itself (api_server.py:141-208). Both make an ``AsyncLLMEngine`` there and end
in ``uvicorn.run``. Here that same block runs as the release wrote it (the module executed as
``__main__``, the CLI flags as ``sys.argv``) with two seams replaced while it runs:
``AsyncLLMEngine.from_engine_args`` returns the scripted engine, and ``uvicorn.run`` hands the
app back instead of serving it. Nothing here shapes a response.

Runs inside the reference environment.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import runpy
import sys
from types import ModuleType
from typing import Any

API_SERVER = "vllm.entrypoints.openai.api_server"


def installed_api_server() -> ModuleType | None:
    """The installed release's ``vllm.entrypoints.openai.api_server``; None without one."""
    try:
        if importlib.util.find_spec(API_SERVER) is None:
            return None
    except ModuleNotFoundError:  # the launchers layout (0.33+)
        return None
    return importlib.import_module(API_SERVER)


def serves_in_main() -> bool:
    """Whether the installed release builds its serving objects in ``run_server``/``__main__``
    (no ``init_app_state`` in its api_server: 0.5 and older)."""
    module = installed_api_server()
    # 0.5.4-0.6.1 build the app in init_app (_layout_init_app.py)
    return (
        module is not None
        and not hasattr(module, "init_app_state")
        and not hasattr(module, "init_app")
    )


def airport_codes() -> None:
    """0.4-0.5's serving_chat imports vLLM's guided decoding at import time, which imports
    outlines, whose ``outlines.types.airports`` (0.0.43-0.0.46) imports
    ``pyairports.airports.AIRPORT_LIST``; PyPI's pyairports is now an empty 0.0.1 without that
    module. An empty list stands in (outlines then has no airport codes, which no request
    here asks for). Call before vLLM is imported; acts only where the module is missing."""
    import types

    try:
        if importlib.util.find_spec("pyairports.airports") is not None:
            return
    except ModuleNotFoundError:
        pass
    package = sys.modules.setdefault("pyairports", types.ModuleType("pyairports"))
    module = types.ModuleType("pyairports.airports")
    module.AIRPORT_LIST = []  # type: ignore[attr-defined]
    package.airports = module  # type: ignore[attr-defined]
    sys.modules["pyairports.airports"] = module


def arg_parser() -> Any:
    """The release's own CLI parser: 0.5.3's ``make_arg_parser(FlexibleArgumentParser())``,
    0.4.3's ``make_arg_parser()`` (an ``argparse.ArgumentParser`` it makes itself)."""
    from vllm.entrypoints.openai.cli_args import make_arg_parser

    if not inspect.signature(make_arg_parser).parameters:  # 0.4.3
        return make_arg_parser()
    try:
        from vllm.utils import FlexibleArgumentParser
    except ImportError:
        return make_arg_parser(argparse.ArgumentParser())
    return make_arg_parser(FlexibleArgumentParser())


def own_app(engine: Any, argv: list[str]) -> Any:
    """Run the release's ``__main__`` block with ``argv`` and the scripted engine; return the
    app it would have served. Call it from a thread without a running event loop: the block
    calls ``asyncio.run(engine.get_model_config())``."""
    import uvicorn
    from vllm.engine.async_llm_engine import AsyncLLMEngine

    served: list[Any] = []

    def keep(app: Any, *args: Any, **kwargs: Any) -> None:
        served.append(app)

    def scripted(cls: Any, *args: Any, **kwargs: Any) -> Any:
        return engine

    saved_argv, saved_run = sys.argv, uvicorn.run
    saved_factory = AsyncLLMEngine.__dict__["from_engine_args"]
    sys.argv = [API_SERVER, *argv]
    uvicorn.run = keep
    AsyncLLMEngine.from_engine_args = classmethod(scripted)
    try:
        runpy.run_module(API_SERVER, run_name="__main__", alter_sys=False)
    finally:
        sys.argv, uvicorn.run = saved_argv, saved_run
        AsyncLLMEngine.from_engine_args = saved_factory
    if len(served) != 1:
        raise RuntimeError(f"the release's __main__ block called uvicorn.run {len(served)} times")
    return served[0]

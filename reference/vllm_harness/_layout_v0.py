"""Glue for the releases before 0.9 (the V0 engine era): what their own code needs to serve.

Runs inside the reference environment. serve.py calls each step for every release; each acts
only where the installed release has the older shape. Nothing here shapes a response.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any


def hide_core_extension() -> None:
    """Before 0.6.4, ``vllm/_core_ext.py`` takes ScalarType from the compiled ``vllm._core_C``
    whenever the file exists; that build needs CUDA, so the class is never registered. Hidden
    (``find_spec`` answers None), the release uses its own Python ScalarType instead. Call
    before vLLM is imported."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("vllm")  # locates the package without importing it
    roots = list(spec.submodule_search_locations or []) if spec else []
    if any((Path(root) / "_core_ext.py").exists() for root in roots):
        sys.modules.setdefault("vllm._core_C", None)  # type: ignore[arg-type]


def cpu_platform() -> None:
    """Up to 0.6 ``vllm.platforms`` decides the platform at import time and each module keeps
    its own ``current_platform`` name; without a GPU that is the unspecified platform, whose
    device cannot be inferred. Every imported vLLM module gets the CPU platform instead."""
    try:
        import vllm.platforms as platforms
        from vllm.platforms.cpu import CpuPlatform
    except ImportError:  # before 0.6 there is none (the device is a flag: serve.py)
        return
    if "__getattr__" in vars(platforms):  # resolved lazily (0.7+): serve.py sets it
        return
    cpu = CpuPlatform()
    for name, module in list(sys.modules.items()):
        if name.startswith("vllm") and module is not None and "current_platform" in vars(module):
            setattr(module, "current_platform", cpu)  # noqa: B010 (a module attribute)


def inspect_models_in_process() -> None:
    """0.6.3 inspects the model class in a fresh interpreter (models/registry.py:416-432),
    which would import the compiled extension hide_core_extension hides; here the
    inspection runs in this process. The model executor never shapes a response."""
    if "vllm._core_C" not in sys.modules or sys.modules["vllm._core_C"] is not None:
        return  # only where hide_core_extension acted; later releases inspect as they do
    try:
        from vllm.model_executor.models import registry
    except ImportError:  # 0.6.2 and before: ModelRegistry in models/__init__.py, no subprocess
        return
    if hasattr(registry, "_run_in_subprocess"):
        setattr(registry, "_run_in_subprocess", lambda fn: fn())  # noqa: B010


def reasoning_flags(flags: list[str]) -> list[str]:
    """0.7-0.8 parse reasoning only with ``--enable-reasoning`` beside ``--reasoning-parser``
    (0.8.5 engine/arg_utils.py:948, passed on as OpenAIServingChat(enable_reasoning=...)); the
    fake's ``reasoning_parser`` is a server that parses reasoning."""
    try:
        from vllm.entrypoints.openai.serving_chat import OpenAIServingChat
    except ImportError:  # moved in later releases, which never had the flag
        return flags
    wanted = inspect.signature(OpenAIServingChat.__init__).parameters
    if "--reasoning-parser" in flags and "enable_reasoning" in wanted:
        return [*flags, "--enable-reasoning"]
    return flags


def takes_model_config(init: Any) -> bool:
    """0.6's ``init_app_state(engine_client, model_config, state, args)`` (not async)."""
    return "model_config" in inspect.signature(init).parameters


async def init_app_state(init: Any, engine: Any, config: Any, state: Any, args: Any) -> None:
    result = init(engine, config.model_config, state, args)
    if inspect.isawaitable(result):
        await result

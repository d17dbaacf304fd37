"""Glue for the releases before 0.9 (the V0 engine era): what their own code needs to serve.

Runs inside the reference environment. serve.py's modern path calls in here only when the
installed release has one of these older shapes; nothing here shapes a response.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any


def cpu_platform() -> None:
    """Up to 0.6 ``vllm.platforms`` decides the platform at import time and each module keeps
    its own ``current_platform`` name; without a GPU that is the unspecified platform, whose
    device cannot be inferred. Every imported vLLM module gets the CPU platform instead."""
    import vllm.platforms as platforms
    from vllm.platforms.cpu import CpuPlatform

    if "__getattr__" in vars(platforms):  # resolved lazily (0.7+): serve.py sets it
        return
    cpu = CpuPlatform()
    for name, module in list(sys.modules.items()):
        if name.startswith("vllm") and "current_platform" in vars(module):
            setattr(module, "current_platform", cpu)  # noqa: B010 (a module attribute)


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

"""Glue for 0.5.4-0.6.1: their api_server builds the app and its serving objects in
``init_app(async_engine_client, args)`` (0.5.4 api_server.py:276-335, 0.5.5 377-437, 0.6.0
395-456, 0.6.1 431-491), which ``run_server`` serves with ``launcher.serve_http`` (0.6.0
458-481): neither 0.6.2's ``init_app_state`` nor the ``uvicorn.run`` of 0.5.3's ``__main__``
block.

Here ``init_app`` runs as the release wrote it, with the scripted engine. The two module
globals ``build_async_engine_client`` sets before it (0.6.0 api_server.py:97-113) are set the
same way: ``engine_args`` (read by the lifespan's stats logger) and ``async_engine_client``
(read by ``/health``, 243). Nothing here shapes a response.

Runs inside the reference environment.
"""

from __future__ import annotations

import importlib
from typing import Any

from reference.vllm_harness._layout_pre06 import API_SERVER, installed_api_server


def builds_app_in_init() -> bool:
    """Whether the installed release's api_server has ``init_app`` and no ``init_app_state``."""
    module = installed_api_server()
    return (
        module is not None and hasattr(module, "init_app") and not hasattr(module, "init_app_state")
    )


async def own_app(engine: Any, args: Any) -> Any:
    """The app ``run_server`` would have served, built by the release's ``init_app``."""
    from vllm.engine.arg_utils import AsyncEngineArgs

    api_server = importlib.import_module(API_SERVER)
    setattr(api_server, "engine_args", AsyncEngineArgs.from_cli_args(args))  # noqa: B010
    setattr(api_server, "async_engine_client", engine)  # noqa: B010
    return await api_server.init_app(engine, args)

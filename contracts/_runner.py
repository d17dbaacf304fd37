"""Run one driver on one scenario against one backend, in-process or over a real socket."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp

from contracts._backends import MODEL, Backend
from contracts._collect import collect, collect_sync
from contracts._driver import AsyncDriver, DriverSpec
from contracts._hub import Hub
from contracts._model import ContractError, Request, Result
from contracts._scenario import Scenario
from contracts._target import Target
from fakes.http.capture import CaptureMiddleware
from fakes.http.requestlog import RequestLog
from fakes.http.server import LiveServer
from fakes.record import Redactor

CELL_TIMEOUT = 30.0


@dataclass
class CellRun:
    result: Result | None  # None when the driver crashed
    crash: str | None = None
    exchanges: list[dict[str, Any]] = field(default_factory=list)


def _too_large(limit: int) -> ASGIApp:
    return PlainTextResponse("request too large", status_code=413)


async def run_cell(
    spec: DriverSpec,
    scenario: Scenario,
    backend: Backend,
    *,
    live: bool = False,
    hub: Hub | None = None,
) -> CellRun:
    log = RequestLog(limit=100)
    app = CaptureMiddleware(
        backend.build(scenario), log=lambda: log, max_body=32 * 1024 * 1024, too_large=_too_large
    )
    key = scenario.api_key if scenario.api_key is not None else backend.server_key(scenario)
    model = scenario.model or MODEL
    if (live or _is_sync(spec)) and hub is not None:
        cell, url = hub.mount(app)
        try:
            target = Target(base_url=url + "/v1", model=model, api_key=key)
            run = await _drive(spec, target, scenario.request)
        finally:
            hub.unmount(cell)
    elif live or _is_sync(spec):  # a sync client cannot reach an in-process app: a socket
        server = await anyio.to_thread.run_sync(LiveServer(app).start)
        try:
            target = Target(base_url=server.url + "/v1", model=model, api_key=key)
            run = await _drive(spec, target, scenario.request)
        finally:
            await anyio.to_thread.run_sync(server.stop)
    else:
        target = Target(base_url="http://fake.local/v1", model=model, api_key=key, app=app)
        run = await _drive(spec, target, scenario.request)
    # what the report shows: secrets blanked (keys, key fields, and their echoes)
    redactor = Redactor()
    run.exchanges = [redactor.exchange(entry.to_json()) for entry in log.entries()]
    return run


def _is_sync(spec: DriverSpec) -> bool:
    complete = getattr(spec.factory, "complete", None)
    return complete is not None and not inspect.iscoroutinefunction(complete)


async def _drive(spec: DriverSpec, target: Target, request: Request) -> CellRun:
    driver = spec.factory(target)
    try:
        async with asyncio.timeout(CELL_TIMEOUT):
            if isinstance(driver, AsyncDriver) and inspect.iscoroutinefunction(driver.complete):
                try:
                    if request.stream:
                        result = await collect(driver.stream(request))
                    else:
                        result = await driver.complete(request)
                finally:
                    await driver.aclose()
            else:
                result = await anyio.to_thread.run_sync(_sync_call, driver, request)
    except ContractError as exc:
        return CellRun(Result(error=exc.failure))
    except TimeoutError:
        return CellRun(None, crash=f"no result after {CELL_TIMEOUT:.0f} s (hang)")
    except Exception as exc:
        return CellRun(None, crash=f"{type(exc).__name__}: {exc}")
    return CellRun(result)


def _sync_call(driver: Any, request: Request) -> Result:
    try:
        if request.stream:
            return collect_sync(driver.stream(request))
        result: Result = driver.complete(request)
        return result
    finally:
        driver.close()

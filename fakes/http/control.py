"""The control plane under ``/_fake/``: inspect and arrange a running fake over HTTP."""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.http.jsonlimit import TOO_DEEP, too_deep
from fakes.http.requestlog import RequestLog
from fakes.model.faults import FaultRule
from fakes.model.script import Script, ScriptPlayer
from fakes.model.timing import Clock, Timing
from fakes.profiles import BaseProfile, ProfileError

PREFIX = "/_fake"


class Controllable(Protocol):
    log: RequestLog
    player: ScriptPlayer
    clock: Clock
    profile: BaseProfile
    base: BaseProfile  # the profile before knob overrides
    version: str
    knob_overrides: dict[str, Any]

    @property
    def faults(self) -> Any: ...

    def reset(self) -> None: ...

    def set_knobs(self, overrides: dict[str, Any]) -> None: ...

    def set_profile(self, name: str) -> None: ...


PAGE_LIMIT = 5000


def _int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _Invalid(f"{name} must be an integer") from None


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _problem(message: str, status: int = 400) -> Response:
    return _json({"detail": message}, status)


async def _payload(request: Request) -> Any:
    raw = await request.body()
    try:
        value = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise _Invalid(f"body is not JSON: {exc}") from None
    if too_deep(value):
        raise _Invalid(f"body is {TOO_DEEP}")
    return value


class _Invalid(Exception):
    pass


def _explain(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )


@cache
def _fault_rules() -> TypeAdapter[tuple[FaultRule, ...]]:
    """Built on the first faults posted, not at import (start-up time is a benchmark row)."""
    return TypeAdapter(tuple[FaultRule, ...])


def _knobs(state: Controllable, overrides: Any) -> dict[str, Any]:
    if not isinstance(overrides, dict):
        raise _Invalid("expected an object of knob: value")
    valid = type(state.profile.knobs).model_fields
    unknown = sorted(set(overrides) - set(valid))
    if unknown:
        raise _Invalid(f"unknown knobs {unknown}; valid knobs: " + ", ".join(sorted(valid)))
    return overrides


def control_routes(get_state: Any) -> list[Route]:
    """Routes bound to the fake's state (``get_state(request)`` returns it)."""

    async def requests(request: Request) -> Response:
        state: Controllable = get_state(request)
        if request.method == "DELETE":
            state.log.clear()
            return _json({"cleared": True})
        try:
            since = _int(request, "since", 0) or 0
            before = _int(request, "before", None)
            limit = _int(request, "limit", None)
        except _Invalid:
            return _problem("since, before and limit must be integers (request ids, a count)")
        summary = request.query_params.get("summary") in {"1", "true"}
        if limit is None and before is None:
            entries = state.log.entries(since)
        else:
            limit = min(max(limit or PAGE_LIMIT, 1), PAGE_LIMIT)
            entries = state.log.page(since=since, before=before, limit=limit)
        rows = [e.summary() if summary else e.to_json() for e in entries]
        return _json({"requests": rows, "total": len(state.log), "limit": state.log.limit})

    async def one_request(request: Request) -> Response:
        state: Controllable = get_state(request)
        entry = state.log.get(request.path_params["id"])
        if entry is None:
            return _problem(f"no request {request.path_params['id']} in the log", 404)
        return _json(entry.to_json())

    async def reset(request: Request) -> Response:
        get_state(request).reset()
        return _json({"reset": True})

    async def script(request: Request) -> Response:
        state: Controllable = get_state(request)
        if request.method == "GET":
            return _json(state.player.script.model_dump(mode="json"))
        return await _replace(
            request, Script, lambda value: setattr(state, "player", ScriptPlayer(value))
        )

    async def faults(request: Request) -> Response:
        state: Controllable = get_state(request)
        if request.method == "GET":
            return _json([rule.model_dump(mode="json") for rule in state.faults.rules])
        if request.method == "DELETE":
            state.faults.set(())
            return _json([])
        try:
            rules = _fault_rules().validate_python(await _payload(request))
        except ValidationError as exc:
            return _problem(_explain(exc))
        except _Invalid as exc:
            return _problem(str(exc))
        state.faults.set(rules)
        return _json([rule.model_dump(mode="json") for rule in rules])

    async def timing(request: Request) -> Response:
        state: Controllable = get_state(request)
        if request.method == "GET":
            return _json(state.clock.timing.model_dump())
        return await _replace(request, Timing, lambda value: setattr(state, "clock", Clock(value)))

    async def profile(request: Request) -> Response:
        state: Controllable = get_state(request)
        try:
            if request.method == "PUT":
                wanted = await _payload(request)
                if not isinstance(wanted, dict) or not wanted or set(wanted) - {"name", "knobs"}:
                    return _problem('expected {"name": PROFILE, "knobs": {...}} (either optional)')
                overrides = _knobs(state, wanted.get("knobs") or {})
                if "name" in wanted:
                    state.set_profile(str(wanted["name"]))
                state.knob_overrides = {}  # PUT replaces the overrides
                state.set_knobs(overrides)
            elif request.method == "PATCH":
                state.set_knobs(_knobs(state, await _payload(request)))
        except (_Invalid, ProfileError) as exc:
            return _problem(str(exc))
        return _json(
            {
                "name": state.profile.name,
                "base": state.base.name,
                "version": state.version,
                "versions": state.profile.versions,
                "overrides": state.knob_overrides,
                "knobs": state.profile.knobs.model_dump(mode="json"),
            }
        )

    return [
        Route(f"{PREFIX}/requests", requests, methods=["GET", "DELETE"]),
        Route(f"{PREFIX}/requests/{{id:int}}", one_request, methods=["GET"]),
        Route(f"{PREFIX}/reset", reset, methods=["POST"]),
        Route(f"{PREFIX}/script", script, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/faults", faults, methods=["GET", "PUT", "DELETE"]),
        Route(f"{PREFIX}/timing", timing, methods=["GET", "PUT"]),
        Route(f"{PREFIX}/profile", profile, methods=["GET", "PATCH", "PUT"]),
    ]


async def _replace(request: Request, model: type[BaseModel], apply: Any) -> Response:
    try:
        value = model.model_validate(await _payload(request))
    except ValidationError as exc:
        return _problem(_explain(exc))
    except _Invalid as exc:
        return _problem(str(exc))
    apply(value)
    return _json(value.model_dump(mode="json"))

"""The console's routes: the page and its assets, the event stream, what the page needs to
draw its controls, and saving exchanges as cassettes or scenario stubs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakes.console._equivalent import HIGHLIGHTS, command_line, knob_kinds, profile_yaml
from fakes.console._hub import hub_for
from fakes.console._paths import SaveError, safe_path
from fakes.http.control import PREFIX, Controllable
from fakes.profiles import builtin

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
_NO_STORE = {"cache-control": "no-store"}


@dataclass(frozen=True)
class Peer:
    """Another fake whose control plane this one's console reaches under ``base``."""

    name: str
    label: str
    base: str


@cache
def _asset(name: str) -> bytes:
    from importlib import resources  # on first use (start-up time is a benchmark row)

    return (resources.files("fakes.console") / "static" / name).read_bytes()


def _assets() -> set[str]:
    from importlib import resources

    return {entry.name for entry in (resources.files("fakes.console") / "static").iterdir()}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json", headers=_NO_STORE)


def console_routes(
    get_state: Callable[[Request], Controllable],
    *,
    backend: str,
    label: str,
    recordings_dir: str,
    peers: Sequence[Peer] = (),
) -> list[Route]:
    known = _assets()

    async def page(request: Request) -> Response:
        return Response(_asset("index.html"), media_type=_TYPES[".html"], headers=_NO_STORE)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in known or name == "index.html":
            return _json({"detail": f"no console asset {name!r}"}, 404)
        return Response(_asset(name), media_type=_TYPES.get(Path(name).suffix, "text/plain"))

    async def events(request: Request) -> Response:
        hub = hub_for(get_state(request).log)
        return StreamingResponse(
            hub.stream(),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def info(request: Request) -> Response:
        state = get_state(request)
        timing = state.clock.timing.model_dump() if backend == "vllm" else None
        faults = (
            [rule.model_dump(mode="json", exclude_defaults=True) for rule in state.faults.rules]
            if backend == "vllm"
            else []
        )
        # under a stack's peer mount, the control plane is reached through the mount
        root = str(request.scope.get("root_path", ""))
        app_root = str(request.scope.get("app_root_path", ""))
        mounted = root[len(app_root) :] if root.startswith(app_root) else ""
        url = str(request.base_url).rstrip("/") + mounted
        return _json(
            {
                "backend": backend,
                "label": f"{label} {state.version}",
                "version": state.version,
                "profile": {
                    "name": state.profile.name,
                    "base": state.base.name,
                    "summary": state.profile.summary,
                    "overrides": state.knob_overrides,
                    "knobs": state.profile.knobs.model_dump(mode="json"),
                },
                "profiles": [
                    {"name": p.name, "versions": p.versions, "reference": p.reference}
                    for p in builtin(backend)
                ],
                "knob_kinds": knob_kinds(state.profile.knobs),
                "highlights": HIGHLIGHTS.get(backend, ()),
                "timing": timing,
                "faults": faults,
                "faults_fired": list(state.faults.fired) if backend == "vllm" else [],
                "features": {"faults": backend == "vllm", "timing": backend == "vllm"},
                "log": {"total": len(state.log), "limit": state.log.limit},
                "recordings_dir": recordings_dir,
                "peers": [p.__dict__ for p in peers],
                "equivalent": {
                    "yaml": profile_yaml(state.base, state.knob_overrides),
                    "cli": command_line(
                        backend,
                        state.version,
                        state.knob_overrides,
                        state.base,
                        timing,
                        faults,
                        url,
                        # the stack's LiteLLM has peers; its vLLM is mounted under a peer base
                        stack=bool(peers) or mounted.startswith("/_fake/peers/"),
                    ),
                },
            }
        )

    async def payload(request: Request) -> dict[str, Any]:
        # JSON only: a cross-site form or text/plain POST (no CORS preflight) cannot write files
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise SaveError("send the body as content-type: application/json")
        try:
            value = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise SaveError(f"body is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise SaveError("expected a JSON object")
        return value

    async def cassette(request: Request) -> Response:
        from fakes.console._save import save_cassette  # the cassette code, on first save

        state = get_state(request)
        try:
            wanted = await payload(request)
            ids = wanted.get("ids")
            if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
                raise SaveError('expected {"ids": [request ids], "path": "name.jsonl"}')
            entries = [state.log.get(i) for i in ids]
            missing = [i for i, e in zip(ids, entries, strict=True) if e is None]
            if missing:
                raise SaveError(f"requests {missing} are no longer in the log")
            target = safe_path(recordings_dir, str(wanted.get("path", "")), ".jsonl")
            found = sorted((e for e in entries if e is not None), key=lambda e: e.id)
            count = save_cassette(target, found, str(request.base_url).rstrip("/"))
        except SaveError as exc:
            return _json({"detail": str(exc)}, 400)
        return _json({"path": str(target), "interactions": count})

    async def scenario(request: Request) -> Response:
        from fakes.console._save import scenario_stub

        state = get_state(request)
        try:
            wanted = await payload(request)
            entry_id = wanted.get("id")
            entry = state.log.get(entry_id) if isinstance(entry_id, int) else None
            if entry is None:
                raise SaveError(f"no request {entry_id!r} in the log")
            scenario_id = str(wanted.get("scenario") or f"console_{entry.id}")
            text = scenario_stub(entry, scenario_id, state.base.name, state.knob_overrides)
            target = safe_path(
                Path(recordings_dir) / "scenarios", str(wanted.get("path") or scenario_id), ".py"
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except SaveError as exc:
            return _json({"detail": str(exc)}, 400)
        return _json({"path": str(target), "text": text})

    return [
        Route(f"{PREFIX}/ui", page, methods=["GET"]),
        Route(f"{PREFIX}/ui/{{name}}", asset, methods=["GET"]),
        Route(f"{PREFIX}/events", events, methods=["GET"]),
        Route(f"{PREFIX}/console", info, methods=["GET"]),
        Route(f"{PREFIX}/cassettes", cassette, methods=["POST"]),
        Route(f"{PREFIX}/scenarios", scenario, methods=["POST"]),
    ]

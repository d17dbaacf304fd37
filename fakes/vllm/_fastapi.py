"""FastAPI's ``str(RequestValidationError)``, which vLLM's handler passes on up to 0.25.

Its words belong to the FastAPI release installed beside vLLM (an environment fact, the
knob ``fastapi`` or ``--fastapi``); the endpoint it names belongs to the vLLM release (the knob
``fastapi_endpoints``). Up to FastAPI 0.123 the exception has no ``__str__`` of its own, so
``str(exc)`` is ``str(errors)``. From 0.124 (exceptions.py ``ValidationException.__str__``,
routing.py ``_extract_endpoint_context``) it counts the errors, one per line, then names the
endpoint: ``inspect.getsourcefile`` of the registered callable (vLLM's ``with_cancellation``
wrapper where there is one), ``inspect.getsourcelines`` of the function it unwraps to (the line
of its first decorator), its ``__name__``, and ``"{method} {root_path}{route path}"``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

COUNTED_FROM = Version("0.124.0")
# where vLLM's files lie: the deployment's Python decides (a pip install into python:3.12)
SITE_PACKAGES = "/usr/local/lib/python3.12/site-packages"


@dataclass(frozen=True)
class Endpoint:
    """One ``fastapi_endpoints`` entry: ``"PATH FILE:LINE FUNCTION"``."""

    path: str
    file: str  # under site-packages
    line: int
    function: str

    @classmethod
    def parse(cls, entry: str) -> Endpoint:
        path, where, function = entry.split()
        file, _, line = where.rpartition(":")
        return cls(path, file, int(line), function)


@dataclass(frozen=True)
class Where:
    """What FastAPI knows when it raises: its release, and the request's route."""

    fastapi: str
    method: str = ""
    path: str = ""
    site_packages: str = SITE_PACKAGES


@functools.lru_cache(maxsize=64)
def endpoints(entries: tuple[str, ...]) -> dict[str, Endpoint]:
    return {e.path: e for e in map(Endpoint.parse, entries)}


def counted(fastapi: str) -> bool:
    return Version(fastapi) >= COUNTED_FROM


def exception_str(
    errors: Sequence[dict[str, Any]], where: Where, entries: tuple[str, ...] = ()
) -> str:
    """``str(exc)`` of a RequestValidationError raised on ``where``'s route."""
    if not counted(where.fastapi):
        return str(list(errors))  # Exception.__str__ of its one argument, the list
    label = "error" if len(errors) == 1 else "errors"
    text = f"{len(errors)} validation {label}:\n" + "".join(f"  {e}\n" for e in errors)
    endpoint = endpoints(entries).get(where.path)
    route = f"{where.method} {where.path}" if where.path else ""
    if endpoint is not None:
        file = f"{where.site_packages}/{endpoint.file}"
        text += f'\n  File "{file}", line {endpoint.line}, in {endpoint.function}'
        text += f"\n    {route}" if route else ""
    elif route:
        text += f"\n  Endpoint: {route}"
    return text.rstrip()

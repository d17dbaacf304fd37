"""The driver protocol: what a client library implements to run against the contracts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from contracts._model import Event, Request, Result
from contracts._target import Target


@runtime_checkable
class AsyncDriver(Protocol):
    async def complete(self, request: Request) -> Result: ...

    def stream(self, request: Request) -> AsyncIterator[Event]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SyncDriver(Protocol):
    def complete(self, request: Request) -> Result: ...

    def stream(self, request: Request) -> Iterator[Event]: ...

    def close(self) -> None: ...


Driver = AsyncDriver | SyncDriver
DriverFactory = Callable[[Target], Driver]

# What a driver can be asked to do beyond a plain call; scenarios that need one are n/a without it.
ENDPOINT_OPTION = "endpoint_option"  # honours Request.endpoint ("chat" | "responses" | "auto")
# A protocol capability: the driver speaks Anthropic's /v1/messages, not chat completions. It
# runs only the scenarios that require it, and those scenarios only run on such drivers.
ANTHROPIC_MESSAGES = "anthropic_messages"
PROTOCOLS = frozenset({ANTHROPIC_MESSAGES})


def not_applicable(requires: frozenset[str], capabilities: frozenset[str]) -> str | None:
    """Why a driver with ``capabilities`` does not run a scenario that ``requires``."""
    missing = requires - capabilities
    if missing:
        return f"driver lacks {', '.join(sorted(missing))}"
    other = (capabilities & PROTOCOLS) - requires
    if other:
        return f"driver speaks {', '.join(sorted(other))}, not this scenario's protocol"
    return None


@dataclass(frozen=True)
class DriverSpec:
    name: str
    factory: DriverFactory
    summary: str
    capabilities: frozenset[str] = field(default_factory=frozenset)
    extra: str | None = None  # the pip extra that installs the client it wraps

"""Record real sessions through a proxy and replay them as a server or in-process."""

from typing import TYPE_CHECKING, Any

from fakes.record._cassette import (
    Cassette,
    CassetteError,
    Chunk,
    Header,
    Interaction,
    load,
    save,
)
from fakes.record._convert import convert
from fakes.record._recorder import Recorder
from fakes.record._redact import Redactor
from fakes.record._replay import NoMatch, Replayer

if TYPE_CHECKING:
    from fakes.transports.replay import replay_transport, replayer, replaying

# In-process replay routes clients through respx and httpx2 (client side): loaded on first
# use, so the servers, which save cassettes from the console, never import them.
_IN_PROCESS = frozenset({"replay_transport", "replayer", "replaying"})


def __getattr__(name: str) -> Any:
    if name in _IN_PROCESS:
        from fakes.transports import replay

        return getattr(replay, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Cassette",
    "CassetteError",
    "Chunk",
    "Header",
    "Interaction",
    "NoMatch",
    "Recorder",
    "Redactor",
    "Replayer",
    "convert",
    "load",
    "replay_transport",
    "replayer",
    "replaying",
    "save",
]

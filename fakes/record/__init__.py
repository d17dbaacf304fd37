"""Record real sessions through a proxy and replay them as a server or in-process."""

import importlib
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
from fakes.record._redact import Redactor

if TYPE_CHECKING:
    from fakes.record._convert import convert
    from fakes.record._recorder import Recorder
    from fakes.record._replay import NoMatch, Replayer
    from fakes.transports.replay import replay_transport, replayer, replaying

# Loaded on first use: the recorder brings httpx, the converter yaml, and in-process replay
# routes clients through respx and httpx2 (client side). The servers import this package only
# to save cassettes from the console, and start without any of them.
_LAZY = {
    "convert": "fakes.record._convert",
    "Recorder": "fakes.record._recorder",
    "NoMatch": "fakes.record._replay",
    "Replayer": "fakes.record._replay",
    "replay_transport": "fakes.transports.replay",
    "replayer": "fakes.transports.replay",
    "replaying": "fakes.transports.replay",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


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

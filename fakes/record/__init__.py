"""Record real sessions through a proxy and replay them as a server or in-process."""

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
from fakes.record._inprocess import replay_transport, replayer, replaying
from fakes.record._recorder import Recorder
from fakes.record._redact import Redactor
from fakes.record._replay import NoMatch, Replayer

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

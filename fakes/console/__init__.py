"""A live console for the fakes: ``/_fake/ui`` watches traffic and flips quirks."""

from fakes.console._hub import Hub, close_streams, hub_for
from fakes.console._paths import SaveError, safe_path
from fakes.console._routes import Peer, console_routes

__all__ = [
    "Hub",
    "Peer",
    "SaveError",
    "close_streams",
    "console_routes",
    "hub_for",
    "safe_path",
]

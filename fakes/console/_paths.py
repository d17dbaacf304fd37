"""Where the console may write: a name inside the recordings directory, or a refusal that
says why. Apart from the saving itself (``_save``), so a server starts without the
cassette code."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath


class SaveError(ValueError):
    """A file name the console refuses; the message says why."""


def safe_path(directory: str | Path, name: str, suffix: str) -> Path:
    """``name`` inside ``directory``: relative, no ``..``, no hidden parts."""
    if not name or not name.strip():
        raise SaveError("give a file name, e.g. session.jsonl")
    if "\\" in name or "\0" in name:
        raise SaveError(f"{name!r}: use '/' between folders, and no NUL bytes")
    relative = PurePosixPath(name)
    if relative.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise SaveError(f"{name!r} is absolute: give a path under the recordings directory")
    if any(part in {"..", "."} or part.startswith(".") for part in relative.parts):
        raise SaveError(f"{name!r}: no '..', '.' or hidden parts in the path")
    if relative.suffix != suffix:
        relative = relative.with_name(relative.name + suffix)
    root = Path(directory).resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise SaveError(f"{name!r} leaves the recordings directory")
    return target

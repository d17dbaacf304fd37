"""Rewrite the precompiled form of the built-in profiles (fakes/profiles/_compiled.py) from
their YAML files: ``python -m reference.compile_profiles`` after a profile or a knob changes
(tests/fakes/profiles/test_compiled.py fails until then)."""

from __future__ import annotations

from importlib import resources

import yaml

from fakes.profiles import _compiled
from fakes.profiles._registry import _model, from_yaml


def parents(backend: str) -> dict[str, str | None]:
    """Each built-in profile's name -> the profile it extends (None for a root)."""
    folder = resources.files("fakes.profiles") / backend
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            found[str(data["name"])] = data.get("extends")
    return found


def main() -> None:
    for backend in sorted(_compiled.COMPILED):
        model = _model(backend)
        path = _compiled.path_of(backend)
        path.write_bytes(_compiled.write(from_yaml(backend, model), parents(backend), model))
        print(f"wrote fakes/profiles/{backend}/{path.name}")


if __name__ == "__main__":
    main()

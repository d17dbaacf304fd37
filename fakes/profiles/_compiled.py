"""The built-in profiles of a backend in a precompiled form: each profile's merged fields as
JSON, read with orjson and constructed without validation, instead of parsing the YAML files
and validating every profile of the chain at start-up.

The form is only used while it matches its sources: it carries a digest of the backend's YAML
files and of its profile model's module, and anything else (a YAML file edited, a knob added)
falls back to the YAML files. tests/fakes/profiles/test_compiled.py holds the form equal to the
YAML, value by value and type by type, and fails while it is stale; ``python -m
reference.compile_profiles`` rewrites it."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_origin

import orjson
from pydantic import BaseModel

if TYPE_CHECKING:
    from fakes.profiles._model import BaseProfile
    from fakes.profiles._registry import ProfileSet

FORMAT = 1
FILENAME = "compiled.json"
# the backends whose profiles ship in the precompiled form
COMPILED = frozenset({"vllm"})


# the package's own folder: importlib.resources costs more to import than the form to read
_PROFILES = Path(__file__).parent


def path_of(backend: str) -> Path:
    return _PROFILES / backend / FILENAME


def digest(backend: str, model: type[BaseProfile]) -> str:
    """What the form was made from: the YAML files (names and bytes) and the profile model's
    module (knob defaults and types live there)."""
    folder = _PROFILES / backend
    hashed = hashlib.sha256()
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if entry.name.endswith(".yaml"):
            hashed.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    module = sys.modules[model.__module__].__file__
    assert module is not None
    hashed.update(Path(module).read_bytes())
    return hashed.hexdigest()


def _typed(annotation: Any, value: Any) -> Any:
    """A JSON value as the field holds it after validation (the knob types a form may hold)."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation(value)
    if get_origin(annotation) is tuple:
        return tuple(value)
    if annotation in (str, bool, int) or get_origin(annotation) is dict:
        return value
    raise TypeError(f"no precompiled form for a field of type {annotation!r}")


def _construct(
    model: type[BaseModel], fields: Mapping[str, Any], given: list[str], **built: Any
) -> Any:
    known = model.model_fields
    values = {name: _typed(known[name].annotation, value) for name, value in fields.items()}
    return model.model_construct(_fields_set=set(given), **values, **built)


def read(backend: str, model: type[BaseProfile]) -> ProfileSet[Any] | None:
    """The backend's profiles from the form, or None when there is none or it is stale."""
    from fakes.profiles._registry import ProfileSet

    if backend not in COMPILED:
        return None
    try:
        form = orjson.loads(path_of(backend).read_bytes())
    except FileNotFoundError:
        return None
    if form.get("format") != FORMAT or form.get("digest") != digest(backend, model):
        return None
    knobs_model = model.model_fields["knobs"].annotation
    assert isinstance(knobs_model, type) and issubclass(knobs_model, BaseModel)
    every_field = sorted(model.model_fields)
    every_knob = sorted(knobs_model.model_fields)
    built: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for entry in form["profiles"]:
        # a profile that extends another holds only what differs from it, and sets every field
        parent = built.get(entry.get("extends", ""))
        fields = {} if parent is None else dict(parent.__dict__)
        fields.update(entry["fields"])
        if parent is not None:
            fields["sources"] = {**parent.sources, **entry["fields"].get("sources", {})}
        knobs = {} if parent is None else dict(parent.knobs.__dict__)
        knobs.update(
            (name, _typed(knobs_model.model_fields[name].annotation, value))
            for name, value in entry["knobs"].items()
        )
        fields.pop("knobs", None)
        profile = _construct(
            model,
            fields,
            entry.get("set", every_field),
            knobs=knobs_model.model_construct(
                _fields_set=set(entry.get("knobs_set", every_knob)), **knobs
            ),
        )
        built[profile.name] = profile
        changes[profile.name] = entry["changes"]
    return ProfileSet(backend, tuple(built[name] for name in form["order"]), changes)


def write(
    profiles: ProfileSet[Any], extends: Mapping[str, str | None], model: type[BaseProfile]
) -> bytes:
    """The form of profiles built from the YAML files (``extends``: each one's parent): every
    parent before the profiles that extend it, and the release order beside."""
    by_name = {profile.name: profile for profile in profiles}
    entries = []
    for profile in _parents_first(profiles.profiles, extends):
        parent_name = extends[profile.name]
        parent = by_name[parent_name] if parent_name else None
        fields = {
            name: value
            for name, value in profile.__dict__.items()
            if name != "knobs" and (parent is None or parent.__dict__[name] != value)
        }
        if parent is not None and "sources" in fields:
            fields["sources"] = {
                key: text
                for key, text in profile.sources.items()
                if parent.sources.get(key) != text
            }
        knobs = {
            name: value
            for name, value in profile.knobs.__dict__.items()
            if parent is None or _differs(parent.knobs.__dict__[name], value)
        }
        entry: dict[str, Any] = {"fields": fields, "knobs": knobs}
        if parent is None:
            entry["set"] = sorted(profile.model_fields_set)
            entry["knobs_set"] = sorted(profile.knobs.model_fields_set)
        else:
            entry["extends"] = parent.name
            assert profile.model_fields_set == set(type(profile).model_fields)
            assert profile.knobs.model_fields_set == set(type(profile.knobs).model_fields)
        entry["changes"] = profiles.changes[profile.name]
        entries.append(entry)
    form = {
        "format": FORMAT,
        "backend": profiles.backend,
        "digest": digest(profiles.backend, model),
        "order": profiles.names(),
        "profiles": entries,
    }
    return orjson.dumps(form, option=orjson.OPT_INDENT_2) + b"\n"


def _parents_first(
    profiles: tuple[BaseProfile, ...], extends: Mapping[str, str | None]
) -> list[BaseProfile]:
    ordered: list[BaseProfile] = []
    done: set[str] = set()
    waiting = list(profiles)
    while waiting:  # each pass places at least one profile (the YAML loader checked for cycles)
        ready = [p for p in waiting if extends[p.name] is None or extends[p.name] in done]
        assert ready, "profiles extend unknown profiles"
        ordered.extend(ready)
        done.update(p.name for p in ready)
        waiting = [p for p in waiting if p.name not in done]
    return ordered


def _differs(before: Any, after: Any) -> bool:
    return type(before) is not type(after) or before != after

"""Built-in profiles (YAML data shipped in the package), release resolution and user overrides."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from pydantic import ValidationError

from fakes.profiles._model import BaseProfile, Profile
from fakes.profiles.versions import contains, parse_range, parse_release

if TYPE_CHECKING:
    from fakes.profiles._litellm import LitellmProfile
    from fakes.profiles._llamacpp import LlamacppProfile
    from fakes.profiles._ollama import OllamaProfile
    from fakes.profiles._sglang import SglangProfile


class ProfileError(ValueError):
    """A profile that cannot be found, loaded or validated; the message says why."""


P = TypeVar("P", bound=BaseProfile)

# The profile model of each backend (its knobs differ), imported when that backend's profiles
# are first loaded: ``serve vllm`` builds none of the other backends' pydantic models.
MODELS: dict[str, str] = {
    "vllm": "fakes.profiles._model:Profile",
    "litellm": "fakes.profiles._litellm:LitellmProfile",
    "ollama": "fakes.profiles._ollama:OllamaProfile",
    "llamacpp": "fakes.profiles._llamacpp:LlamacppProfile",
    "sglang": "fakes.profiles._sglang:SglangProfile",
}


def _model(backend: str) -> type[BaseProfile]:
    module, name = MODELS[backend].split(":")
    model: type[BaseProfile] = getattr(importlib.import_module(module), name)
    return model


@dataclass(frozen=True)
class ProfileSet(Generic[P]):
    """The profiles of one backend, ordered by release range."""

    backend: str
    profiles: tuple[P, ...]
    changes: Mapping[str, Mapping[str, Any]]  # profile name -> knobs it changes vs its parent

    def __iter__(self) -> Iterator[P]:
        return iter(self.profiles)

    def names(self) -> list[str]:
        return [p.name for p in self.profiles]

    def get(self, name: str) -> P:
        for profile in self.profiles:
            if profile.name == name:
                return profile
        raise ProfileError(
            f"unknown {self.backend} profile {name!r}; known: " + ", ".join(self.names())
        )

    def for_release(self, release: str) -> P:
        version = parse_release(release)
        for profile in self.profiles:
            if contains(parse_range(profile.versions), version):
                return profile
        ranges = ", ".join(f"{p.name} ({p.versions})" for p in self.profiles)
        raise ProfileError(f"{self.backend} {release} is outside every known range: {ranges}")

    def newest(self) -> P:
        return self.profiles[-1]


def _builtin_loader() -> Any:
    """The shipped profiles are read with libyaml's parser when PyYAML has it (about 10x faster
    at start-up; the same safe constructor, so the same data: tests/fakes/profiles pins it); a
    user's file always goes through the pure-Python one, whose error texts the messages quote.
    PyYAML itself is imported on first use: the shipped vLLM profiles load from their
    precompiled form (fakes/profiles/_compiled.py)."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(text: str, origin: str, safe_loader: Any = None) -> dict[str, Any]:
    import yaml

    try:
        loader = (safe_loader or yaml.SafeLoader)(text)  # what yaml.safe_load does
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{origin}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{origin}: expected a mapping at the top level")
    return data


def _describe(exc: ValidationError, origin: str, model: type[BaseProfile]) -> ProfileError:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            field = error["loc"][-1]
            knobs = model.model_fields["knobs"].annotation
            assert isinstance(knobs, type)
            known = knobs.model_fields if "knobs" in error["loc"] else model.model_fields
            message = f"unknown key {field!r}; valid keys: " + ", ".join(sorted(known))
        lines.append(f"  {where}: {message}")
    return ProfileError(f"{origin}: invalid profile\n" + "\n".join(lines))


def _build(model: type[P], data: Mapping[str, Any], parent: P | None, origin: str) -> P:
    data = dict(data)
    data.pop("extends", None)
    knobs = dict(parent.knobs.model_dump()) if parent else {}
    overrides = data.get("knobs") or {}
    if not isinstance(overrides, dict):
        raise ProfileError(f"{origin}: 'knobs' must be a mapping")
    knobs.update(overrides)
    merged: dict[str, Any] = {}
    if parent is not None:
        merged.update(parent.model_dump(exclude={"knobs", "sources"}))
        merged["sources"] = dict(parent.sources)
    for key, value in data.items():
        if key == "sources" and isinstance(value, dict):
            merged.setdefault("sources", {}).update(value)
        elif key != "knobs":
            merged[key] = value
    merged["knobs"] = knobs
    try:
        profile = model.model_validate(merged)
        parse_range(profile.versions)
    except ValidationError as exc:
        raise _describe(exc, origin, model) from None
    except ValueError as exc:
        raise ProfileError(f"{origin}: {exc}") from None
    return profile


@overload
def builtin(backend: Literal["vllm"]) -> ProfileSet[Profile]: ...
@overload
def builtin(backend: Literal["litellm"]) -> ProfileSet[LitellmProfile]: ...
@overload
def builtin(backend: Literal["ollama"]) -> ProfileSet[OllamaProfile]: ...
@overload
def builtin(backend: Literal["llamacpp"]) -> ProfileSet[LlamacppProfile]: ...
@overload
def builtin(backend: Literal["sglang"]) -> ProfileSet[SglangProfile]: ...
@overload
def builtin(backend: str) -> ProfileSet[BaseProfile]: ...
def builtin(backend: str) -> ProfileSet[Any]:
    """Load the built-in profiles of ``backend``; duplicates and overlaps fail loudly."""
    if backend not in MODELS:
        raise ProfileError(f"unknown backend {backend!r}; known: " + ", ".join(MODELS))
    return _load(backend, _model(backend))


@cache
def _load(backend: str, model: type[P]) -> ProfileSet[P]:
    from fakes.profiles import _compiled

    precompiled: ProfileSet[P] | None = _compiled.read(backend, model)
    return precompiled if precompiled is not None else from_yaml(backend, model)


def from_yaml(backend: str, model: type[P]) -> ProfileSet[P]:
    """The backend's profiles read from their YAML files, each validated."""
    from importlib import resources

    folder = resources.files("fakes.profiles") / backend
    loader = _builtin_loader()
    loaded: dict[str, P] = {}
    changes: dict[str, dict[str, Any]] = {}
    pending = {
        entry.name: _read_yaml(entry.read_text(encoding="utf-8"), f"{backend}/{entry.name}", loader)
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }
    while pending:
        progressed = False
        for filename, data in list(pending.items()):
            parent_name = data.get("extends")
            if parent_name is not None and parent_name not in loaded:
                continue
            parent = loaded[parent_name] if parent_name else None
            profile = _build(model, data, parent, f"{backend}/{filename}")
            if profile.name in loaded:
                raise ProfileError(f"duplicate {backend} profile name {profile.name!r}")
            loaded[profile.name] = profile
            changes[profile.name] = dict(data.get("knobs") or {})
            del pending[filename]
            progressed = True
        if not progressed:
            raise ProfileError(f"{backend} profiles extend unknown profiles: {sorted(pending)}")
    ordered = sorted(loaded.values(), key=lambda p: parse_release(p.reference))
    for earlier, later in itertools.pairwise(ordered):
        if contains(parse_range(earlier.versions), parse_release(later.reference)):
            raise ProfileError(f"{earlier.name} and {later.name} overlap")
    return ProfileSet(backend, tuple(ordered), changes)


def resolve(
    profiles: ProfileSet[P], version: str | None, default: str, profile: str | None
) -> tuple[P, str]:
    """The profile for a release (any number; ``default`` when none) or a named or YAML
    profile, and the release the fake reports (a named profile's own reference if none)."""
    release = version or default
    base = profiles.for_release(release)
    if profile is None:
        return base, release
    path = Path(profile)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        return load_override(path, base, profiles), release
    chosen = profiles.get(profile)
    return chosen, version or chosen.reference


# The newest release the vLLM profiles were checked against (newer ones warn).
DEFAULT_VLLM_VERSION = "0.34.0"


def resolve_vllm_profile(version: str | None, profile: str | None) -> tuple[Profile, str]:
    """The vLLM profile for a release (default: the newest checked) or a named / YAML one."""
    return resolve(builtin("vllm"), version, DEFAULT_VLLM_VERSION, profile)


def load_override(path: Path, base: P, profiles: ProfileSet[P]) -> P:
    """A user's YAML file: ``extends`` a built-in profile (else ``base``) and overrides knobs."""
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{origin}: cannot read profile: {exc.strerror}") from None
    data = _read_yaml(text, origin)
    parent = profiles.get(str(data["extends"])) if data.get("extends") else base
    data.setdefault("name", f"{parent.name}+{path.stem}")
    data.setdefault("summary", f"{parent.summary} (overridden by {path.name})")
    return _build(type(base), data, parent, origin)


def with_knobs(profile: P, overrides: Mapping[str, Any]) -> P:
    """The profile with some knobs changed at run time (control plane, console)."""
    return _build(type(profile), {"knobs": dict(overrides)}, profile, "knob override")


# The newest SGLang release its profiles were read from.
DEFAULT_SGLANG_VERSION = "0.5.23"


def resolve_sglang_profile(version: str | None, profile: str | None) -> tuple[SglangProfile, str]:
    """The SGLang profile for a release (default: the newest read) or a named / YAML one."""
    return resolve(builtin("sglang"), version, DEFAULT_SGLANG_VERSION, profile)

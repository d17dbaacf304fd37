"""The precompiled form of the built-in profiles (fakes/profiles/_compiled.py) holds what the
YAML files hold, value by value and type by type; a stale form is never used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fakes.profiles import _compiled, builtin
from fakes.profiles._registry import _model, from_yaml

REGENERATE = "stale: run python -m reference.compile_profiles"


def _exact(value: Any) -> Any:
    """A value with every type spelled out, so that a str is not equal to a StrEnum member nor
    a list to a tuple."""
    if isinstance(value, dict):
        return ("dict", [(key, _exact(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_exact(item) for item in value])
    return (type(value).__qualname__, value)


@pytest.mark.parametrize("backend", sorted(_compiled.COMPILED))
def test_the_precompiled_profiles_are_the_yaml_profiles(backend: str) -> None:
    model = _model(backend)
    compiled = _compiled.read(backend, model)
    assert compiled is not None, REGENERATE
    from_files = from_yaml(backend, model)
    assert compiled.names() == from_files.names()
    assert compiled.changes == from_files.changes
    for made, read in zip(compiled, from_files, strict=True):
        assert type(made) is type(read)
        assert made.model_fields_set == read.model_fields_set, made.name
        assert made.knobs.model_fields_set == read.knobs.model_fields_set, made.name
        fields = {k: v for k, v in made.__dict__.items() if k != "knobs"}
        expected = {k: v for k, v in read.__dict__.items() if k != "knobs"}
        assert _exact(fields) == _exact(expected), made.name
        assert _exact(made.knobs.__dict__) == _exact(read.knobs.__dict__), made.name
        assert made == read  # pydantic's own equality too
        # validated again, a constructed profile is itself (nothing skipped validation wrongly)
        assert type(made).model_validate(made.model_dump()) == made


@pytest.mark.parametrize("backend", sorted(_compiled.COMPILED))
def test_the_shipped_form_is_what_the_generator_writes(backend: str) -> None:
    from reference.compile_profiles import parents

    model = _model(backend)
    written = _compiled.write(from_yaml(backend, model), parents(backend), model)
    assert _compiled.path_of(backend).read_bytes() == written, REGENERATE


def test_a_stale_form_is_not_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = _model("vllm")
    shipped = _compiled.path_of("vllm").read_bytes()
    stale = tmp_path / "compiled.json"
    # the same form, made from sources that differ by one byte
    stale.write_bytes(shipped.replace(b'"digest": "', b'"digest": "0', 1))
    monkeypatch.setattr(_compiled, "path_of", lambda backend: stale)
    assert _compiled.read("vllm", model) is None
    stale.unlink()
    assert _compiled.read("vllm", model) is None
    assert _compiled.read("litellm", _model("litellm")) is None  # not precompiled


def test_the_registry_loads_the_precompiled_form() -> None:
    """builtin() is what serve uses: its profiles are the form's, constructed, not validated."""
    model = _model("vllm")
    compiled = _compiled.read("vllm", model)
    assert compiled is not None
    assert builtin("vllm").profiles == compiled.profiles
    assert builtin("vllm").names() == from_yaml("vllm", model).names()

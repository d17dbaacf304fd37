from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.profiles import ErrorShape, ProfileError, builtin, load_override


@pytest.mark.parametrize(
    ("release", "name"),
    [
        ("0.4.0", "vllm-0.4"),
        ("0.5.3.post1", "vllm-0.5"),
        ("0.6.0", "vllm-0.6.0-only"),
        ("0.6.1.post2", "vllm-0.6.1"),
        ("0.6.2", "vllm-0.6.0"),
        ("0.6.3", "vllm-0.6.3"),
        ("0.6.4.post1", "vllm-0.6.4"),
        ("0.6.5", "vllm-0.6.5"),
        ("0.6.6.post1", "vllm-0.6.5"),
        ("0.7.0", "vllm-0.7.0"),
        ("0.7.1", "vllm-0.7.1"),
        ("0.8.2", "vllm-0.7.1"),
        ("0.8.3", "vllm-0.7"),
        ("0.8.5", "vllm-0.7"),
        ("0.9.0", "vllm-0.9.0"),
        ("0.9.0.1", "vllm-0.9.0"),
        ("0.9.1", "vllm-0.9.1"),
        ("0.9.2", "vllm-0.9"),
        ("0.10.0", "vllm-0.10.0"),
        ("0.10.1.1", "vllm-0.10.1"),
        ("0.10.2", "vllm-0.10.2"),
        ("0.11.0", "vllm-0.11"),
        ("0.11.2", "vllm-0.11.1"),
        ("0.12.0", "vllm-0.12"),
        ("0.13.0", "vllm-0.13"),
        ("0.14.1", "vllm-0.14"),
        ("0.15.1", "vllm-0.15"),
        ("0.16.0", "vllm-0.16"),
        ("0.17.0", "vllm-0.17"),
        ("0.18.1", "vllm-0.18"),
        ("0.19.1", "vllm-0.19"),
        ("0.22.1", "vllm-0.22"),
        ("0.23.0", "vllm-0.23"),
        ("0.24.0", "vllm-0.24"),
        ("0.28.0", "vllm-0.28"),
        ("0.29.0", "vllm-0.29"),
        ("0.30.0", "vllm-0.30"),
        ("0.31.0", "vllm-0.31"),
        ("0.32.0", "vllm-0.32"),
        ("0.33.0", "vllm-0.33"),
        ("0.34.0", "vllm-0.34"),
    ],
)
def test_any_release_resolves_to_its_range(release: str, name: str) -> None:
    assert builtin("vllm").for_release(release).name == name


def test_newest_release_resolves_to_the_open_ended_profile() -> None:
    profiles = builtin("vllm")
    assert profiles.for_release("9.0.0") == profiles.newest()


def test_release_before_0_4_lists_the_known_ranges() -> None:
    with pytest.raises(ProfileError, match=r"0\.3\.3 is outside every known range: vllm-0\.4"):
        builtin("vllm").for_release("0.3.3")


# "<release> <path>.py:<line>[-<line>] ...": where in which wheel the fact was read
CITATION = re.compile(r"^\d+\.\d+(\.\d+)*\s.*?[\w./]+\.py:\d+")


def _vllm_files() -> list[tuple[str, dict[str, Any]]]:
    folder = resources.files("fakes.profiles") / "vllm"
    return [
        (entry.name, yaml.safe_load(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]


def uncited(data: dict[str, Any]) -> list[str]:
    """Knobs a profile file sets without a citation in that file's own ``sources`` (a
    parent's citation says nothing about what the child sets)."""
    sources = data.get("sources") or {}
    return [k for k in data.get("knobs") or {} if not CITATION.match(str(sources.get(k, "")))]


@pytest.mark.parametrize(("filename", "data"), _vllm_files(), ids=lambda v: str(v)[:12])
def test_every_knob_a_file_sets_cites_its_release_file_and_line(
    filename: str, data: dict[str, Any]
) -> None:
    assert uncited(data) == [], f"{filename}: no '<release> <file>.py:<line>' source"
    assert data["reference"] in data["versions"] or data["versions"].startswith(">=")


def test_a_knob_cited_only_by_the_parent_or_vaguely_is_uncited() -> None:
    child = {
        "extends": "vllm-0.9",
        "knobs": {"error_shape": "flat", "chat_id_prefix": "x-", "tools": False},
        "sources": {"chat_id_prefix": "serving_chat.py, somewhere", "tools": "0.9.2 protocol.py"},
    }
    assert uncited(child) == ["error_shape", "chat_id_prefix", "tools"]
    child["sources"]["tools"] = "0.9.2 protocol.py:227 no tools field"
    assert uncited(child) == ["error_shape", "chat_id_prefix"]


def test_override_file_changes_one_knob(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("extends: vllm-0.9\nknobs:\n  error_shape: nested\n")
    profiles = builtin("vllm")
    profile = load_override(path, profiles.newest(), profiles)
    assert profile.knobs.error_shape is ErrorShape.NESTED
    assert profile.knobs.chat_id_prefix == "chatcmpl-"
    assert profile.name == "vllm-0.9+mine"


def test_override_rejects_unknown_knobs_listing_valid_ones(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("knobs:\n  error_shap: nested\n")
    profiles = builtin("vllm")
    with pytest.raises(ProfileError, match=r"unknown key 'error_shap'; valid keys: .*error_shape"):
        load_override(path, profiles.newest(), profiles)


def test_override_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("knobs:\n  error_shape: [nested\n")
    profiles = builtin("vllm")
    with pytest.raises(ProfileError, match=r"broken\.yaml \(line \d+, column \d+\): not valid"):
        load_override(path, profiles.newest(), profiles)


def test_bad_enum_value_lists_choices(tmp_path: Path) -> None:
    path = tmp_path / "enum.yaml"
    path.write_text("knobs:\n  error_shape: round\n")
    profiles = builtin("vllm")
    with pytest.raises(ProfileError, match="'flat' or 'nested'"):
        load_override(path, profiles.newest(), profiles)


@pytest.mark.parametrize(
    ("release", "name"),
    [("1.74.15.post2", "litellm-1.74"), ("1.74.15", "litellm-1.74"), ("1.110.2", "litellm-1.110")],
)
def test_litellm_releases_resolve(release: str, name: str) -> None:
    assert builtin("litellm").for_release(release).name == name


def test_litellm_profiles_cite_what_they_change() -> None:
    for profile in builtin("litellm"):
        assert profile.backend == "litellm"
        changed = builtin("litellm").changes[profile.name]
        assert set(changed) <= set(profile.sources)


def test_litellm_override_rejects_vllm_knobs(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("knobs:\n  error_shape: nested\n")
    profiles = builtin("litellm")
    with pytest.raises(ProfileError, match=r"unknown key 'error_shape'; valid keys: .*auth_param"):
        load_override(path, profiles.newest(), profiles)


def test_unknown_backend_lists_known() -> None:
    with pytest.raises(
        ProfileError, match="unknown backend 'tgi'; known: vllm, litellm, ollama, llamacpp, sglang"
    ):
        builtin("tgi")


@pytest.mark.parametrize("backend", ["vllm", "litellm", "ollama", "llamacpp", "sglang"])
def test_the_fast_builtin_loader_reads_what_the_pure_python_one_reads(backend: str) -> None:
    """Shipped profiles are parsed with libyaml at start-up; user files with the pure-Python
    parser. Both must give the same data for every shipped file."""
    from fakes.profiles._registry import _builtin_loader

    loader = _builtin_loader()
    assert loader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    folder = resources.files("fakes.profiles") / backend
    files = [entry for entry in folder.iterdir() if entry.name.endswith(".yaml")]
    assert files
    for entry in files:
        text = entry.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=loader) == yaml.safe_load(text), entry.name

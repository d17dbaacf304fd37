"""Where each knob's values come from: the profile files' own ``sources`` entries, the value
each profile resolves to, and the tests that name the knob. Feeds ``llm-fakes profiles
--explain KNOB`` and the quirk catalogue (``docs/quirks.md``, ``profiles --catalogue``)."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from fakes.profiles._litellm import LitellmKnobs
from fakes.profiles._llamacpp import LlamacppKnobs
from fakes.profiles._model import Knobs
from fakes.profiles._registry import builtin

KNOBS: dict[str, type[BaseModel]] = {
    "vllm": Knobs,
    "litellm": LitellmKnobs,
    "llamacpp": LlamacppKnobs,
}
BACKENDS = tuple(KNOBS)
_TITLES = {"vllm": "vLLM", "litellm": "LiteLLM", "llamacpp": "llama.cpp"}


@dataclass(frozen=True)
class Citation:
    """One profile's view of a knob."""

    profile: str
    file: str  # e.g. vllm/v0_11.yaml
    versions: str
    value: Any  # as JSON: the resolved value, inherited or set here
    sets: bool  # this profile's own file sets the knob
    sources: tuple[str, ...]  # this file's own ``sources`` entries that mention the knob


def knobs_of(backend: str) -> tuple[str, ...]:
    return tuple(KNOBS[backend].model_fields)


@cache
def _files(backend: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Profile name -> (its file, the file's own YAML), not merged with any parent."""
    folder = resources.files("fakes.profiles") / backend
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            found[str(data["name"])] = (f"{backend}/{entry.name}", data)
    return found


def _mentions(knob: str, key: str, text: str) -> bool:
    # a one-word knob ("responses", "tools") is only cited by its key: the word alone is prose
    return key == knob or ("_" in knob and re.search(rf"\b{re.escape(knob)}\b", text) is not None)


def explain(backend: str, knob: str) -> list[Citation]:
    """Every built-in profile of ``backend``, oldest first, and what it says about ``knob``."""
    files = _files(backend)
    rows = []
    for profile in builtin(backend):
        file, data = files[profile.name]
        own = data.get("sources") or {}
        rows.append(
            Citation(
                profile=profile.name,
                file=file,
                versions=profile.versions,
                value=profile.knobs.model_dump(mode="json")[knob],
                sets=knob in (data.get("knobs") or {}),
                sources=tuple(
                    str(text) for key, text in own.items() if _mentions(knob, str(key), str(text))
                ),
            )
        )
    return rows


def checkout_tests() -> Path | None:
    """The project's tests, in a source checkout (an installed wheel has none)."""
    root = Path(__file__).resolve().parents[2]
    tests = root / "tests"
    return tests if (root / "pyproject.toml").is_file() and tests.is_dir() else None


def naming_tests(knob: str, tests: Path) -> list[str]:
    """``path::test`` for each test function whose text names the knob; a file that names it
    outside any test function (a table, a fixture) is listed as the file alone."""
    pattern = re.compile(rf"\b{re.escape(knob)}\b")
    found: list[str] = []
    for path in sorted(tests.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not pattern.search(text):
            continue
        where = path.relative_to(tests.parent).as_posix()
        lines = text.splitlines()
        named = [
            f"{where}::{node.name}"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
            and pattern.search("\n".join(lines[node.lineno - 1 : node.end_lineno]))
        ]
        found.extend(named or [where])
    return found


def anchor(backend: str, knob: str) -> str:
    return f"{backend}-{knob}"


def _cell(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text.replace("|", "\\|").replace("\n", " ")


def catalogue() -> str:
    """The quirk catalogue: for each knob, the profiles whose files cite a source for it."""
    out = [
        "# Quirk catalogue",
        "",
        "Generated from the `sources` of the built-in profiles (`fakes/profiles/*/*.yaml`) by",
        "`llm-fakes profiles --catalogue`; a test fails when this page and the profiles disagree.",
        "Each row is one profile file's own citation for the knob, with the value that profile",
        "resolves to. `llm-fakes profiles --explain KNOB` shows every profile's value and the",
        "tests that pin the knob.",
    ]
    for backend in BACKENDS:
        uncited = []
        out += ["", f"## {_TITLES[backend]}"]
        for knob in knobs_of(backend):
            cited = [row for row in explain(backend, knob) if row.sources]
            if not cited:
                uncited.append(knob)
                continue
            out += [
                "",
                f'<a id="{anchor(backend, knob)}"></a>',
                f"### {_TITLES[backend]}: `{knob}`",
                "",
                "| profile | releases | value | source |",
                "|---|---|---|---|",
            ]
            for row in cited:
                for text in row.sources:
                    out.append(
                        f"| {row.profile} | `{_cell(row.versions)}` | `{_cell(row.value)}` "
                        f"| {_cell(text)} |"
                    )
        if uncited:
            out += ["", f"{_TITLES[backend]} knobs with no cited source in any profile file:", ""]
            out += [f"- `{knob}`" for knob in uncited]
    return "\n".join(out) + "\n"

"""Skips for a missing tool that cannot hide a failure.

A test may skip when a tool it needs is absent, unless something claims the tool is there:
``LLM_FAKES_REQUIRE_<TOOL>=1`` (``make test-clients`` sets it for what it installs, a CI
job sets it for what its image holds). Once the tool is found (its binary on PATH, its
Python package installed), anything that goes wrong with it is a failure, never a skip.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType
from typing import NoReturn

import pytest


def claimed(tool: str) -> bool:
    """Whether the environment says ``tool`` is there (``LLM_FAKES_REQUIRE_<TOOL>=1``)."""
    variable = "LLM_FAKES_REQUIRE_" + tool.upper().replace("-", "_")
    return os.environ.get(variable, "") not in ("", "0")


def absent(tool: str, reason: str) -> NoReturn:
    """``tool`` is not there: a skip, or a failure when the environment claims it is."""
    if claimed(tool):
        variable = "LLM_FAKES_REQUIRE_" + tool.upper().replace("-", "_")
        pytest.fail(f"{reason}, but {variable} is set", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def broken(reason: str) -> NoReturn:
    """A tool that is there does not work: always a failure."""
    pytest.fail(reason, pytrace=False)


def import_or_skip(module: str, tool: str, reason: str) -> ModuleType:
    """``module``, skipping only when its package is not installed at all: an installed
    package that fails to import is a failure (pytest.importorskip would skip it)."""
    if importlib.util.find_spec(module.partition(".")[0]) is None:
        absent(tool, reason)
    return importlib.import_module(module)

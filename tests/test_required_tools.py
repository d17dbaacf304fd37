"""tests/_tools.py: a missing tool skips only while nothing claims it is there."""

from __future__ import annotations

import pytest

from tests._tools import absent, import_or_skip


def test_a_missing_tool_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLM_FAKES_REQUIRE_NODE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no node"):
        absent("node", "no node")


@pytest.mark.parametrize("value", ["1", "true"])
def test_a_missing_tool_the_environment_claims_fails(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LLM_FAKES_REQUIRE_NODE", value)
    with pytest.raises(pytest.fail.Exception, match="no node, but LLM_FAKES_REQUIRE_NODE"):
        absent("node", "no node")


def test_an_installed_package_that_fails_to_import_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LLM_FAKES_REQUIRE_X", raising=False)
    with pytest.raises(pytest.skip.Exception):
        import_or_skip("no_such_package_here", "x", "not installed")
    # installed (json is), but the module inside it is not: an error, never a skip
    with pytest.raises(ModuleNotFoundError):
        import_or_skip("json.no_such_module", "x", "not installed")

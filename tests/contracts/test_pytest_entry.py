"""The pytest11 entry point: with the pytest extra the plugin registers itself; without it
(llm-fakes installed for its servers only) a user's pytest still runs, and says why the
fixtures are off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_USER_TESTS = """
def test_plain():
    assert 1 + 1 == 2


def test_plugin(request):
    print("plugin on:", request.config.pluginmanager.has_plugin("contracts.plugin"))
"""


def _pytest(tmp_path: Path, *, without_syrupy: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(_USER_TESTS)
    env = dict(os.environ)
    if without_syrupy:  # a package that fails to import, ahead of the installed one
        shadow = tmp_path / "shadow" / "syrupy"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'syrupy'\", name='syrupy')\n"
        )
        env["PYTHONPATH"] = str(tmp_path / "shadow")
    return subprocess.run(
        # syrupy's own entry point would not exist without syrupy installed
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:syrupy", "-s"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_syrupy_a_users_pytest_still_runs(tmp_path: Path) -> None:
    done = _pytest(tmp_path, without_syrupy=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert "plugin on: False" in done.stdout
    assert (
        "llm-fakes: fixtures off (missing syrupy); pip install 'llm-fakes[pytest]'" in done.stdout
    )


def test_with_the_extra_the_plugin_registers(tmp_path: Path) -> None:
    done = _pytest(tmp_path, without_syrupy=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "plugin on: True" in done.stdout
    assert "fixtures off" not in done.stdout

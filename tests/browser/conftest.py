"""A real headless Chromium (the system's, never a downloaded one) driven by Playwright."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._tools import absent, broken, import_or_skip

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _chromium() -> str | None:
    wanted = os.environ.get("LLM_FAKES_CHROMIUM")
    if wanted:  # named: it has to be there
        if not Path(wanted).exists():
            broken(f"LLM_FAKES_CHROMIUM={wanted} does not exist")
        return wanted
    return next(
        (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
        None,
    )


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the browser tests leave screenshots (not in the repository)."""
    folder = Path(
        os.environ.get("LLM_FAKES_SCREENSHOTS")
        or Path(tempfile.gettempdir()) / "llm-fakes-console-screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        absent(
            "chromium",
            "no Chromium: apt-get install -y chromium (or set LLM_FAKES_CHROMIUM to its binary)",
        )
    playwright_api = import_or_skip(
        "playwright.sync_api",
        "chromium",
        "playwright is not installed (pip install -e '.[browser]')",
    )
    profile = tmp_path / "chromium-profile"  # an empty user-data-dir
    profile.mkdir()
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()

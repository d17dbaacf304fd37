from __future__ import annotations

import pytest

from tests.reliability.figures import FIGURES, NOTES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES and not NOTES:
        return
    terminalreporter.section("reliability figures")
    for name, count in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {count:,}")
    for name, text in sorted(NOTES.items()):
        terminalreporter.write_line(f"{name}: {text}")

"""The ``pytest11`` entry point. The plugin itself (``contracts.plugin``) needs the ``pytest``
extra: syrupy for its goldens, respx and httpx2 to route clients in-process. Installed without
them (a server in a container), llm-fakes must not break anybody's pytest: the plugin stays
off and the report header says how to turn it on."""

from __future__ import annotations

import importlib

EXTRA = ("syrupy", "respx", "httpx2")


def _missing() -> tuple[str, ...]:
    missing = []
    for name in EXTRA:
        try:
            importlib.import_module(name)  # the plugin imports them all anyway
        except ImportError:
            missing.append(name)
    return tuple(missing)


MISSING = _missing()

# pytest imports what a registered plugin module lists here, as it does for conftests
pytest_plugins = [] if MISSING else ["contracts.plugin"]

if MISSING:

    def pytest_report_header() -> str:
        return (
            f"llm-fakes: fixtures off (missing {', '.join(MISSING)}); "
            "pip install 'llm-fakes[pytest]' turns them on"
        )

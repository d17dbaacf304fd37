"""The libraries a reference environment has beside vLLM whose releases show in vLLM's answers:
FastAPI words validation messages up to vLLM 0.25, and pydantic and openai-python decide the
errors listed over openai's unions. ``run.py`` asks the reference python and writes them into
the setups file; the replay builds the fake with the same FastAPI."""

from __future__ import annotations

import json
import subprocess

PACKAGES = ("fastapi", "pydantic", "openai")

_ASK = """
import importlib.metadata as m, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = m.version(name)
    except m.PackageNotFoundError:
        pass
print(json.dumps(found))
"""


def measure(python: str) -> dict[str, str]:
    """The installed release of each of PACKAGES in the environment of ``python`` (a package
    it lacks is left out)."""
    done = subprocess.run(
        [python, "-c", _ASK, *PACKAGES], capture_output=True, text=True, check=True, timeout=120
    )
    found = json.loads(done.stdout)
    return {name: str(found[name]) for name in PACKAGES if name in found}

"""pytest plugin: ``--driver``, ``--driver-cmd``, ``--llm-backend``, ``--llm-live``, fixtures."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from contracts._backends import Backend, select_backends
from contracts._driver import DriverSpec
from contracts.drivers import DRIVERS
from contracts.drivers._subprocess import subprocess_spec
from contracts.golden import GoldenExtension


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llm-fakes", "llm-fakes contract suite")
    group.addoption(
        "--driver",
        default=None,
        help="driver under contract: a registered name or 'package.module:factory' "
        "(ini: llm_driver; default openai-compatible)",
    )
    group.addoption(
        "--driver-cmd",
        default=None,
        metavar="CMD",
        help="driver under contract: a command speaking the JSON-lines protocol of "
        "contracts.drivers._subprocess, e.g. 'node driver.mjs' (not with --driver)",
    )
    group.addoption(
        "--llm-backend",
        action="append",
        default=[],
        help="only these backends (glob, repeatable), e.g. 'vllm-0.9' or 'litellm-*'",
    )
    group.addoption(
        "--llm-live", action="store_true", help="run cells over real sockets, not in-process"
    )
    parser.addini("llm_driver", "default driver for the contract suite", default="")


def select_driver(name: str | None, command: str | None, default: str = "") -> DriverSpec:
    """The driver under contract, from ``--driver``, ``--driver-cmd`` and the ini default."""
    if command is not None:
        if name is not None:
            raise pytest.UsageError("give --driver or --driver-cmd, not both")
        try:
            return subprocess_spec(command)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    try:
        return DRIVERS.get(name or default or "openai-compatible")
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


@pytest.fixture(scope="session")
def contract_driver(pytestconfig: pytest.Config) -> DriverSpec:
    return select_driver(
        pytestconfig.getoption("--driver"),
        pytestconfig.getoption("--driver-cmd"),
        str(pytestconfig.getini("llm_driver") or ""),
    )


@pytest.fixture(scope="session")
def contract_backends(pytestconfig: pytest.Config) -> tuple[list[Backend], bool]:
    patterns = list(pytestconfig.getoption("--llm-backend"))
    try:
        return select_backends(patterns), bool(patterns)
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


@pytest.fixture(scope="session")
def contract_live(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--llm-live"))


@pytest.fixture
def golden(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(GoldenExtension)

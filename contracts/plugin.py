"""pytest plugin: ``--driver``, ``--llm-backend``, ``--llm-live`` and the contract fixtures."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion

from contracts._backends import Backend, select_backends
from contracts._driver import DriverSpec
from contracts.drivers import DRIVERS
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
        "--llm-backend",
        action="append",
        default=[],
        help="only these backends (glob, repeatable), e.g. 'vllm-0.9' or 'litellm-*'",
    )
    group.addoption(
        "--llm-live", action="store_true", help="run cells over real sockets, not in-process"
    )
    parser.addini("llm_driver", "default driver for the contract suite", default="")


@pytest.fixture(scope="session")
def contract_driver(pytestconfig: pytest.Config) -> DriverSpec:
    name = pytestconfig.getoption("--driver") or pytestconfig.getini("llm_driver")
    try:
        return DRIVERS.get(str(name or "openai-compatible"))
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


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

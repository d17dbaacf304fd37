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


def _driver(config: pytest.Config) -> DriverSpec:
    name = config.getoption("--driver") or config.getini("llm_driver")
    return DRIVERS.get(str(name or "openai-compatible"))


def _backends(config: pytest.Config) -> tuple[list[Backend], bool]:
    patterns = list(config.getoption("--llm-backend"))
    return select_backends(patterns), bool(patterns)


def pytest_configure(config: pytest.Config) -> None:
    # misuse is reported before collection, as a usage error, not as an error per test
    try:
        _driver(config)
        _backends(config)
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


@pytest.fixture(scope="session")
def contract_driver(pytestconfig: pytest.Config) -> DriverSpec:
    return _driver(pytestconfig)


@pytest.fixture(scope="session")
def contract_backends(pytestconfig: pytest.Config) -> tuple[list[Backend], bool]:
    return _backends(pytestconfig)


@pytest.fixture(scope="session")
def contract_live(pytestconfig: pytest.Config) -> bool:
    return bool(pytestconfig.getoption("--llm-live"))


@pytest.fixture
def golden(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(GoldenExtension)

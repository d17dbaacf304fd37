"""pytest plugin (loaded through the ``pytest11`` entry point once llm-fakes is installed).

Fixtures: ``llm_fake`` (an in-process fake: httpx and httpx2 clients reach it with no
socket) and ``llm_fake_live`` (the same fake on a free loopback port, started once per
session and reset before each test). Choose the backend with
``@pytest.mark.llm_backend("vllm", "0.9.2", **config)`` (or ``"litellm", "1.74.15",
vllm_version="0.9.2"``: a fake LiteLLM in front of a fake vLLM), or
``@pytest.mark.parametrize("llm_fake", ["vllm:0.9.2", "vllm:0.12"], indirect=True)``.
Contract suite options: ``--driver``, ``--driver-cmd``, ``--llm-backend``, ``--llm-live``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from contracts._backends import Backend, select_backends
from contracts._driver import DriverSpec
from contracts._hub import Hub
from contracts.drivers import DRIVERS
from contracts.drivers._subprocess import subprocess_spec
from contracts.golden import GoldenExtension
from fakes.http.handle import FakeHandle


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
        "--driver-capability",
        action="append",
        default=[],
        metavar="NAME",
        help="what a --driver-cmd driver honours (repeatable), e.g. endpoint_option",
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
    parser.addini("llm_fake_backend", "default backend of the llm_fake fixtures", default="vllm")


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        driver = _driver(config).name
    except pytest.UsageError:
        return []
    return [f"llm-fakes: driver {driver}, fake backend {config.getini('llm_fake_backend')}"]


def _driver(config: pytest.Config) -> DriverSpec:
    return select_driver(
        config.getoption("--driver"),
        config.getoption("--driver-cmd"),
        str(config.getini("llm_driver") or ""),
        config.getoption("--driver-capability"),
        search=(config.rootpath, config.invocation_params.dir),
    )


def _backends(config: pytest.Config) -> tuple[list[Backend], bool]:
    patterns = list(config.getoption("--llm-backend"))
    return select_backends(patterns), bool(patterns)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "llm_backend(backend, version=None, **config): the fake behind llm_fake/llm_fake_live",
    )
    # misuse is reported before collection, as a usage error, not as an error per test
    try:
        _driver(config)
        _backends(config)
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


def select_driver(
    name: str | None,
    command: str | None,
    default: str = "",
    capabilities: Sequence[str] = (),
    search: Sequence[Path] = (),
) -> DriverSpec:
    """The driver under contract, from ``--driver``, ``--driver-cmd`` and the ini default."""
    if command is not None:
        if name is not None:
            raise pytest.UsageError("give --driver or --driver-cmd, not both")
        try:
            return subprocess_spec(command, capabilities=capabilities)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    try:
        return DRIVERS.get(name or default or "openai-compatible", search)
    except KeyError as exc:
        raise pytest.UsageError(str(exc.args[0])) from None


@pytest.fixture(scope="session")
def contract_driver(pytestconfig: pytest.Config) -> DriverSpec:
    """The driver under contract: ``--driver``, ``--driver-cmd`` or the ``llm_driver`` ini."""
    return _driver(pytestconfig)


@pytest.fixture(scope="session")
def contract_backends(pytestconfig: pytest.Config) -> tuple[list[Backend], bool]:
    """The backends the contract suite runs on (``--llm-backend`` globs; all by default),
    and whether the selection was narrowed."""
    return _backends(pytestconfig)


@pytest.fixture(scope="session")
def contract_live(pytestconfig: pytest.Config) -> bool:
    """``--llm-live``: contract cells over real loopback sockets instead of in-process."""
    return bool(pytestconfig.getoption("--llm-live"))


@pytest.fixture(scope="session")
def contract_hub() -> Iterator[Hub]:
    """One loopback server for every live cell of the session (started on first use)."""
    hub = Hub()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture
def golden(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """syrupy's snapshot, reading and writing the shared golden files (one per scenario:
    ``golden(name=scenario.id)``)."""
    return snapshot.use_extension(GoldenExtension)


def _fake_spec(request: pytest.FixtureRequest) -> tuple[str, str | None, dict[str, Any]]:
    param = getattr(request, "param", None)
    if isinstance(param, str):
        backend, _, version = param.partition(":")
        return backend, version or None, {}
    marker = request.node.get_closest_marker("llm_backend")
    if marker is not None:
        backend = str(marker.args[0]) if marker.args else "vllm"
        release = str(marker.args[1]) if len(marker.args) > 1 else None
        return backend, release, dict(marker.kwargs)
    backend, _, version = str(request.config.getini("llm_fake_backend")).partition(":")
    return backend, version or None, {}


def _handle(request: pytest.FixtureRequest, url: Callable[[Any, str], str]) -> FakeHandle:
    from fakes.build import Built, FakeBuildError, build_fake

    backend, version, config = _fake_spec(request)
    built: Built | str
    try:
        built = build_fake(backend, version, config)
    except FakeBuildError as exc:
        built = str(exc)
    if isinstance(built, str):  # failed outside the except block: one report, not chained
        pytest.fail(f"llm_backend: {built}", pytrace=False)
    upstream = None
    if built.upstream is not None:
        upstream = FakeHandle("vllm", built.upstream.release, built.upstream.app, "")
    return FakeHandle(backend, built.release, built.app, url(built.app, backend), upstream)


@pytest.fixture
def llm_fake(request: pytest.FixtureRequest) -> Iterator[FakeHandle]:
    """An in-process fake; httpx and httpx2 clients (sync and async) reach it at
    ``llm_fake.base_url`` with no socket, and nothing else while the test runs."""
    from fakes.transports.routing import Routed

    handle = _handle(request, lambda app, backend: f"http://{backend}.fake")
    with Routed(handle.app, handle.url):
        yield handle


class _LiveServers:
    def __init__(self) -> None:
        self._servers: dict[str, tuple[Any, FakeHandle]] = {}

    def get(self, request: pytest.FixtureRequest) -> FakeHandle:
        from fakes.http.server import LiveServer

        key = repr(_fake_spec(request))
        if key not in self._servers:
            started: list[Any] = []

            def serve(app: Any, backend: str) -> str:
                started.append(LiveServer(app).start())
                return str(started[0].url)

            handle = _handle(request, serve)
            self._servers[key] = (started[0], handle)
        handle = self._servers[key][1]
        handle.reset()
        return handle

    def stop(self) -> None:
        for server, _ in self._servers.values():
            server.stop()
        self._servers.clear()


@pytest.fixture(scope="session")
def _llm_live_servers() -> Iterator[_LiveServers]:
    servers = _LiveServers()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def llm_fake_live(request: pytest.FixtureRequest, _llm_live_servers: _LiveServers) -> FakeHandle:
    """The fake on a free 127.0.0.1 port, one per backend/version/config per session,
    reset before each test (each pytest-xdist worker has its own)."""
    return _llm_live_servers.get(request)

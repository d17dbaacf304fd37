"""Beyond loopback, a serve command refuses an open control plane, before anything binds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import fakes.http.server
from fakes.cli import main
from fakes.http.exposure import ExposureError, check_exposure, is_loopback

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
SERVE = {
    "vllm": ["serve", "vllm"],
    "litellm": ["serve", "litellm", "--config", str(EXAMPLES / "litellm-config.yaml")],
    "stack": ["serve", "stack"],
}
EXPOSED = ["0.0.0.0", "::", "10.1.2.3", "fd00::1", "fake-vllm.default.svc", "[::]"]
LOOPBACK = ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"]


class _Bound(OSError):
    pass


@pytest.fixture
def binds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every bind attempt, which never happens for real: it stops the command instead."""
    attempts: list[str] = []

    def bind(host: str, port: int, *, listen: bool = True) -> None:
        attempts.append(host)
        raise _Bound(f"bind reached for {host}")

    monkeypatch.setattr(fakes.http.server, "bind", bind)
    monkeypatch.delenv("LLM_FAKES_CONTROL_TOKEN", raising=False)
    return attempts


def _serve(command: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [*SERVE[command], *args], env=env)


@pytest.mark.parametrize("command", sorted(SERVE))
@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_an_open_control_plane_beyond_loopback_is_refused_before_binding(
    binds: list[str], command: str, host: str
) -> None:
    result = _serve(command, "--host", host, "--port" if command != "stack" else "--vllm-port", "0")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"Error: refusing to listen on {host} with an open control plane")
    assert "--control-token" in line and "--no-control-plane" in line
    assert binds == []


@pytest.mark.parametrize("command", sorted(SERVE))
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--control-token", "s3cret"], None),
        ([], {"LLM_FAKES_CONTROL_TOKEN": "s3cret"}),
        (["--no-control-plane"], None),
    ],
    ids=["token", "token-from-env", "no-control-plane"],
)
def test_a_token_or_no_control_plane_lets_it_bind(
    binds: list[str], command: str, args: list[str], env: dict[str, str] | None
) -> None:
    result = _serve(command, "--host", "0.0.0.0", *args, env=env)
    assert result.exit_code == 1
    assert "bind reached for 0.0.0.0" in result.output, result.output
    assert binds == ["0.0.0.0"]


@pytest.mark.parametrize("command", sorted(SERVE))
def test_loopback_needs_nothing(binds: list[str], command: str) -> None:
    result = _serve(command, "--host", "127.0.0.1")
    assert "bind reached for 127.0.0.1" in result.output, result.output


@pytest.mark.parametrize("host", EXPOSED)
def test_addresses_and_names_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ExposureError, match="refusing to listen"):
        check_exposure(host, control_plane=True, control_token=None)
    check_exposure(host, control_plane=True, control_token="t")
    check_exposure(host, control_plane=False, control_token=None)


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_addresses_and_names(host: str) -> None:
    assert is_loopback(host)
    check_exposure(host, control_plane=True, control_token=None)

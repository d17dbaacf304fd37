"""``serve llamacpp``: a build number picks its profile; bad input is one clear line."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from fakes.cli import main
from fakes.cli.llamacpp import build_number, resolve_llamacpp_profile


@pytest.mark.parametrize(
    ("release", "profile", "build"),
    [
        ("b3000", "llamacpp-b3600", 3000),
        ("4800", "llamacpp-b4800", 4800),
        ("b8999", "llamacpp-b4800", 8999),
        ("B12000", "llamacpp-b11434", 12000),
        (None, "llamacpp-b11434", 11434),
    ],
)
def test_a_build_resolves_to_its_range(release: str | None, profile: str, build: int) -> None:
    chosen, reported = resolve_llamacpp_profile(release, None)
    assert (chosen.name, reported) == (profile, build)


def test_a_named_profile_reports_its_reference_build() -> None:
    chosen, reported = resolve_llamacpp_profile(None, "llamacpp-b3600")
    assert (chosen.name, reported) == ("llamacpp-b3600", 3600)


def test_not_a_build_number() -> None:
    with pytest.raises(click.BadParameter, match=r"not a llama\.cpp build"):
        build_number("v0.9")


def test_serve_refuses_a_bad_version_in_one_line() -> None:
    result = CliRunner().invoke(main, ["serve", "llamacpp", "--version", "latest", "--port", "0"])
    assert result.exit_code != 0
    assert "not a llama.cpp build" in result.output

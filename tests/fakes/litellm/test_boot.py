"""LiteLLM 1.110 refuses to start with an unset, empty or publicly known master key; 1.74
starts with any. Expected texts are what the real 1.110.2 proxy printed to stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from fakes.cli import main
from fakes.litellm import UnsafeMasterKeyError, parse_config, resolve_litellm_profile

MODELS = "model_list: []\n"
# Printed by litellm 1.110.2 for `general_settings: {master_key: sk-1234}` in config.yaml.
KNOWN_KEY_REFUSAL = """
LiteLLM proxy refused to start: the master key is a publicly known default.
It comes from general_settings.master_key in config.yaml.

1. Make sure config.yaml reads the key from the environment:
     general_settings:
       master_key: os.environ/LITELLM_MASTER_KEY
2. Generate a key and save it to .env:
     echo "LITELLM_MASTER_KEY=sk-$(openssl rand -hex 32)" | tee -a .env
   Not using a .env file (docker run, Kubernetes, pip install)? Pass the same value as the
   LITELLM_MASTER_KEY environment variable instead.

Local development only: set LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true, or
general_settings.dangerously_permit_weak_or_unset_master_key: true, to start anyway.

"""
# Printed by litellm 1.110.2 for a config without general_settings and no environment key.
NO_KEY_REFUSAL = """
LiteLLM proxy refused to start: no master key is set, so every request would be accepted without authentication.
Neither general_settings.master_key nor the LITELLM_MASTER_KEY environment variable is set.

1. Generate a key and save it to .env:
     echo "LITELLM_MASTER_KEY=sk-$(openssl rand -hex 32)" | tee -a .env
   Not using a .env file (docker run, Kubernetes, pip install)? Pass the same value as the
   LITELLM_MASTER_KEY environment variable instead.

Local development only: set LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true, or
general_settings.dangerously_permit_weak_or_unset_master_key: true, to start anyway.

"""


def _parse(text: str, version: str = "1.110.2", env: dict[str, str] | None = None) -> object:
    profile, release = resolve_litellm_profile(version, None)
    return parse_config(text, "config.yaml", profile, release, env or {})


def test_a_publicly_known_key_is_refused_with_the_real_text() -> None:
    with pytest.raises(UnsafeMasterKeyError) as caught:
        _parse(MODELS + "general_settings:\n  master_key: sk-1234\n")
    assert caught.value.refusal == KNOWN_KEY_REFUSAL
    assert str(caught.value) == (
        "LiteLLM proxy refused to start: the master key is a publicly known default. "
        "The fix is printed once the server exits."
    )


def test_no_key_anywhere_is_refused_with_the_real_text() -> None:
    with pytest.raises(UnsafeMasterKeyError) as caught:
        _parse(MODELS)
    assert caught.value.refusal == NO_KEY_REFUSAL


@pytest.mark.parametrize("key", ['""', '"   "'])
def test_an_empty_key_is_refused(key: str) -> None:
    with pytest.raises(UnsafeMasterKeyError, match="the master key is empty"):
        _parse(MODELS + f"general_settings:\n  master_key: {key}\n")


def test_a_key_from_an_unset_variable_counts_as_unset_in_the_config() -> None:
    with pytest.raises(UnsafeMasterKeyError) as caught:
        _parse(MODELS + "general_settings:\n  master_key: os.environ/NOPE\n")
    assert "general_settings.master_key in config.yaml is blank, or points at" in (
        caught.value.refusal
    )


def test_the_override_setting_or_variable_lets_it_start() -> None:
    config = _parse(
        MODELS + "general_settings:\n  dangerously_permit_weak_or_unset_master_key: true\n"
    )
    assert config.weak_master_key_permitted is True
    env = {"LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true"}
    assert _parse(MODELS, env=env).master_key is None


def test_the_environment_key_is_the_master_key() -> None:
    config = _parse(MODELS, env={"LITELLM_MASTER_KEY": "sk-from-the-environment-42"})
    assert config.master_key == "sk-from-the-environment-42"
    with pytest.raises(UnsafeMasterKeyError) as caught:
        _parse(MODELS, env={"LITELLM_MASTER_KEY": "sk-1234"})
    assert "It comes from the LITELLM_MASTER_KEY environment variable." in caught.value.refusal


def test_1_74_has_no_such_check() -> None:
    assert _parse(MODELS, version="1.74.15").master_key is None


def test_serve_litellm_exits_like_the_real_proxy(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(MODELS + "general_settings:\n  master_key: sk-1234\n")
    result = CliRunner().invoke(main, ["serve", "litellm", "--config", str(config), "--port", "0"])
    assert result.exit_code == 3
    assert "ERROR:    Application startup failed. Exiting.\n" in result.output
    assert result.output.endswith(KNOWN_KEY_REFUSAL.replace("config.yaml", str(config)))
    assert "Traceback" not in result.output


def test_serve_stack_refuses_a_known_key() -> None:
    result = CliRunner().invoke(main, ["serve", "stack", "--master-key", "sk-1234"])
    assert result.exit_code == 3
    assert "the master key is a publicly known default" in result.output

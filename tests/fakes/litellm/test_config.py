"""Reading a real LiteLLM config.yaml: what is used, what is reported, what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.litellm import ConfigError, load_config, parse_config, resolve_litellm_profile

PROFILE, RELEASE = resolve_litellm_profile("1.110.2", None)


def _parse(text: str, env: dict[str, str] | None = None) -> object:
    return parse_config(text, "config.yaml", PROFILE, RELEASE, env or {})


def test_reads_models_keys_and_settings() -> None:
    config = parse_config(
        """
model_list:
  - model_name: chat
    litellm_params:
      model: hosted_vllm/Qwen/Qwen3-8B
      api_base: http://127.0.0.1:8000/v1/
      api_key: os.environ/VLLM_KEY
  - model_name: canned
    litellm_params:
      model: openai/gpt-4o
      mock_response: hi
general_settings:
  master_key: os.environ/MASTER
litellm_settings:
  num_retries: 5
router_settings:
  cooldown_time: 30
""",
        "config.yaml",
        PROFILE,
        RELEASE,
        {"VLLM_KEY": "secret", "MASTER": "sk-m"},
    )
    chat, canned = config.deployments
    assert (chat.provider, chat.upstream_model, chat.api_base) == (
        "hosted_vllm",
        "Qwen/Qwen3-8B",
        "http://127.0.0.1:8000/v1",
    )
    assert chat.api_key == "secret" and not chat.answers_itself
    assert canned.answers_itself and canned.mock_response == "hi"
    assert config.master_key == "sk-m"
    assert (config.num_retries, config.cooldown_time) == (5, 30.0)
    assert config.warnings == ()


def test_environment_variables_section_feeds_references() -> None:
    config = parse_config(
        "environment_variables:\n  K: v\nmodel_list:\n  - model_name: m\n    litellm_params:\n"
        "      model: openai/x\n      api_key: os.environ/K\n",
        "c.yaml",
        PROFILE,
        RELEASE,
        {"LITELLM_MASTER_KEY": "sk-a-Str0ng-key-for-this-test"},
    )
    assert config.deployments[0].api_key == "v"


def test_unsupported_keys_are_reported_with_their_line() -> None:
    config = parse_config(
        """model_list:
  - model_name: m
    litellm_params:
      model: openai/x
      drop_params: true
    model_info:
      id: abc
general_settings:
  master_key: k
  database_url: postgres://x
callbacks: [langfuse]
""",
        "config.yaml",
        PROFILE,
        RELEASE,
        {},
    )
    assert config.warnings == (
        "config.yaml:11: callbacks is not supported by the fake; ignored",
        "config.yaml:5: model_list.0.litellm_params.drop_params is not supported by the fake; ignored",
        "config.yaml:10: general_settings.database_url is not supported by the fake; ignored",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: bedrock/claude\n",
            "config.yaml:4: unknown provider prefix 'bedrock' in 'bedrock/claude'; "
            "supported: hosted_vllm, openai",
        ),
        (
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: gpt-4o\n",
            "config.yaml:4: model 'gpt-4o' has no provider prefix; supported: hosted_vllm/..., "
            "openai/...",
        ),
        (
            "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\n"
            "      api_key: os.environ/NOT_SET_ANYWHERE\n",
            "config.yaml:5: model_list.0.litellm_params.api_key: environment variable "
            "NOT_SET_ANYWHERE is not set",
        ),
        (
            "model_list:\n  - model_name: m\n    litellm_params: {model: [\n",
            "config.yaml:4: not valid YAML: ",
        ),
        (
            "model_list:\n  - litellm_params:\n      model: openai/x\n",
            "config.yaml:2: model_list[0] needs a model_name",
        ),
        (
            "router_settings:\n  num_retries: many\n",
            "config.yaml:2: router_settings.num_retries must be a number, got 'many'",
        ),
        ("- just\n- a list\n", "config.yaml:1: expected a mapping with model_list"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse(text)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: cannot read config: No such file"):
        load_config(tmp_path / "nope.yaml", PROFILE, RELEASE)


def test_shipped_example_config_loads() -> None:
    example = Path(__file__).parents[3] / "examples" / "litellm-config.yaml"
    config = load_config(example, PROFILE, RELEASE, {})
    assert config.model_names == ["fake-model", "canned"]
    assert config.warnings == ()


@pytest.mark.parametrize(
    ("release", "name"), [("1.74.15.post2", "litellm-1.74"), ("1.110.2", "litellm-1.110")]
)
def test_resolve_profile(release: str, name: str) -> None:
    profile, version = resolve_litellm_profile(release, None)
    assert (profile.name, version) == (name, release)
    assert resolve_litellm_profile(None, "litellm-1.74")[1] == "1.74.15"

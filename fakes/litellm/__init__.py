"""The fake LiteLLM proxy: reads a real LiteLLM config and proxies to each ``api_base``."""

from fakes.litellm._boot import UnsafeMasterKeyError
from fakes.litellm._config import (
    ConfigError,
    Deployment,
    LitellmConfig,
    load_config,
    parse_config,
)
from fakes.litellm._key_limits import KeyLimits
from fakes.litellm._stack import (
    DEFAULT_LITELLM_VERSION,
    UPSTREAM_PROVIDERS,
    resolve_litellm_profile,
    stack_app,
)
from fakes.litellm.app import create_litellm_app

__all__ = [
    "DEFAULT_LITELLM_VERSION",
    "UPSTREAM_PROVIDERS",
    "ConfigError",
    "Deployment",
    "KeyLimits",
    "LitellmConfig",
    "UnsafeMasterKeyError",
    "create_litellm_app",
    "load_config",
    "parse_config",
    "resolve_litellm_profile",
    "stack_app",
]

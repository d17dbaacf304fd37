"""A fake llama.cpp ``llama-server``, faithful to one build range."""

from fakes.llamacpp._state import LlamacppConfig, LlamacppState
from fakes.llamacpp.app import create_llamacpp_app

# The newest build the profiles were read from (newer ones warn).
DEFAULT_LLAMACPP_BUILD = 11434

__all__ = ["DEFAULT_LLAMACPP_BUILD", "LlamacppConfig", "LlamacppState", "create_llamacpp_app"]

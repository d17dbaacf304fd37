"""A fake SGLang server (its OpenAI-compatible layer), release by release."""

from fakes.sglang._state import SglangConfig
from fakes.sglang.app import create_sglang_app

__all__ = ["SglangConfig", "create_sglang_app"]

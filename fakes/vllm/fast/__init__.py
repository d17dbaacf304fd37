"""The compiled fast path: plain chat, completions and responses requests answered by
joining pre-rendered bytes."""

from fakes.vllm.fast._dispatch import FastPathMiddleware

__all__ = ["FastPathMiddleware"]

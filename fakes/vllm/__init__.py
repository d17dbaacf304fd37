"""The fake vLLM OpenAI-compatible server."""

from fakes.vllm._state import VllmConfig, VllmState
from fakes.vllm.app import create_vllm_app

__all__ = ["VllmConfig", "VllmState", "create_vllm_app"]

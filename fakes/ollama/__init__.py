"""A fake Ollama server: its OpenAI-compatible layer and native API, per release."""

from fakes.ollama._state import DEFAULT_PORT, OllamaConfig, OllamaState
from fakes.ollama.app import create_ollama_app

__all__ = ["DEFAULT_PORT", "OllamaConfig", "OllamaState", "create_ollama_app"]

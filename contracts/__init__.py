"""Contract tests for OpenAI-compatible drivers."""

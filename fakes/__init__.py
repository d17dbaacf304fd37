"""Fake OpenAI-compatible servers."""

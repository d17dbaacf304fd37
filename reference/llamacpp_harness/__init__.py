"""Maintainer tool: llama.cpp's own llama-server against the fake (not installed)."""

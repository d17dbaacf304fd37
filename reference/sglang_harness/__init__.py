"""Run an SGLang release's own OpenAI serving code with a scripted engine (maintainer tool)."""

"""A vLLM release's own OpenAI-compatible app, driven by the fake's script, diffed against the
fake (``make conformance-vllm``)."""

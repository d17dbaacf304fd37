"""Conformance of the fake LiteLLM against the real proxy, driven by the contract scenario
catalogue: ``python -m reference.litellm_conformance`` (``make conformance``)."""

"""The contract suite, run for the driver given by --driver (openai-compatible by default)."""

from contracts.suite import test_contract

__all__ = ["test_contract"]

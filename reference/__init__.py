"""Maintainer tools that run the real backends beside the fakes (never installed)."""

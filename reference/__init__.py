"""Maintainer tools that run real backends (never installed, never imported by fakes/ or
contracts/)."""

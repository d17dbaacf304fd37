"""Counters the reliability tests fill in; the conftest prints them after the run."""

from __future__ import annotations

from collections import Counter

FIGURES: Counter[str] = Counter()
NOTES: dict[str, str] = {}

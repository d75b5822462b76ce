"""Counters the fault matrix fills in and conftest prints."""

from collections import Counter

FIGURES: Counter[str] = Counter()

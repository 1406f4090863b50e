"""Percentiles for the benchmark scripts (nearest-rank, as they have always been reported here)."""

from __future__ import annotations


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

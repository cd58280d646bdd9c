"""Timing helpers the benchmark scripts share: time calls, summarize seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["spread", "timed"]


def timed(call: Callable[[], Any], n: int) -> list[float]:
    """Seconds of each of `n` calls."""
    seconds = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def spread(values: list[float], scale: float, digits: int) -> str:
    """"median (min-max)" of `values` times `scale`, with `digits` decimals."""
    return (f"{statistics.median(values) * scale:.{digits}f} "
            f"({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})")

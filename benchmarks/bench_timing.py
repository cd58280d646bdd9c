"""Timing helpers the benchmark scripts share: time calls, summarize seconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["spread", "timed"]


def timed(call: Callable[[], Any], n: int,
          between: Callable[[], Any] | None = None) -> list[float]:
    """Seconds of each of `n` calls; `between`, if given, runs untimed after each."""
    seconds = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
        if between is not None:
            between()
    return seconds


def spread(values: list[float], scale: float, digits: int) -> str:
    """"median (min-max)" of `values` times `scale`, with `digits` decimals."""
    return (f"{statistics.median(values) * scale:.{digits}f} "
            f"({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})")

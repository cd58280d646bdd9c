"""How a pool's workers have been starting: the back-off after failures, and whether the
pool is failing (what `/healthz` reports).

A worker has started once it says it is ready (the app imported, storage open). Each
worker that exits before that, or cannot be spawned at all, is a failure; the pool is
failing after FAILING_AFTER failures in a row, and well again at the next worker that
starts.
"""

from __future__ import annotations

import threading
import time

__all__ = ["FAILING_AFTER", "WorkerStarts"]

#: Failures in a row, with no worker starting in between, that make the pool failing.
FAILING_AFTER = 2
_FIRST_DELAY, _MAX_DELAY = 1.0, 60.0


class WorkerStarts:
    """Consecutive start failures of a pool's workers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._cause = ""
        self._next_spawn = 0.0

    def failed(self, cause: str) -> None:
        """A worker could not start, because of `cause`: back off before the next."""
        with self._lock:
            self._failures += 1
            self._cause = cause
            delay = min(_MAX_DELAY, _FIRST_DELAY * 2 ** (self._failures - 1))
            self._next_spawn = time.monotonic() + delay

    def started(self) -> None:
        """A worker started: the pool is well, and spawns without waiting."""
        with self._lock:
            self._failures, self._cause, self._next_spawn = 0, "", 0.0

    def may_spawn(self) -> bool:
        """Whether the back-off after the last failure is over."""
        with self._lock:
            return time.monotonic() >= self._next_spawn

    def problem(self) -> str | None:
        """Why the pool is failing, or None while workers start."""
        with self._lock:
            if self._failures < FAILING_AFTER:
                return None
            return (f"workers fail to start ({self._failures} times in a row, retrying "
                    f"with back-off); the last: {self._cause}")

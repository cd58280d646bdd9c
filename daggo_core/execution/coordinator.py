"""The run coordinator: claims QUEUED runs from storage and hands them to the executor."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from daggo_core.extensions import Executor
from daggo_core.storage.base import Storage

__all__ = ["RunCoordinator"]

logger = logging.getLogger("daggo.coordinator")


class RunCoordinator:
    """Keeps up to `max_concurrent_runs` runs executing.

    It checks for queued runs every `poll_interval` seconds, and at once when `wake()` is
    called (a run launched from this process).
    """

    def __init__(self, storage: Storage, executor: Executor, *, max_concurrent_runs: int,
                 poll_interval: float) -> None:
        self.storage = storage
        self.executor = executor
        self.max_concurrent_runs = max_concurrent_runs
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for queued runs now instead of at the next poll."""
        self._wake.set()

    def dispatch_once(self) -> int:
        """Claim as many queued runs as there are free slots and launch them."""
        free = self.max_concurrent_runs - len(self.executor.active_run_ids())
        if free <= 0:
            return 0
        runs = self.storage.claim_queued_runs(free)
        for run in runs:
            logger.info("launching run %s of job %s", run.id, run.job_name)
            self.executor.launch(run)
        return len(runs)

    async def run_forever(self) -> None:
        """Dispatch until cancelled; storage errors are logged and retried next tick."""
        while True:
            try:
                await asyncio.to_thread(self.dispatch_once)
            except Exception:
                logger.exception("run coordinator failed to dispatch; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

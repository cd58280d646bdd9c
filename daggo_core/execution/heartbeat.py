"""Worker heartbeats: a daemon thread telling storage that a run's worker is alive."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, RunStatus

__all__ = ["Heartbeat", "worker_id"]

logger = logging.getLogger("daggo.heartbeat")


def worker_id(pid: int | None = None) -> str:
    """The id a worker process records on its runs: `hostname:pid`."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


class Heartbeat:
    """Heartbeats `run_id` as `worker` every `interval` seconds from a daemon thread.

    Each beat returns the stored run; when it shows that cancellation was requested, or
    that the run is no longer this worker's to execute (it ended elsewhere, or the monitor
    gave up on it and queued it again), `on_stop(run)` is
    called, on every such beat, so a caller can escalate. Storage errors are logged and
    retried on the next beat: a database hiccup must not kill the run.
    """

    def __init__(self, storage: Storage, run_id: str, worker: str, *, interval: float,
                 on_stop: Callable[[Run], None] | None = None) -> None:
        self.storage = storage
        self.run_id = run_id
        self.worker = worker
        self.interval = interval
        self.on_stop = on_stop
        self.last: Run | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> Run | None:
        """Heartbeat once now; returns the run, or None if storage failed."""
        try:
            run = self.storage.heartbeat(self.run_id, self.worker)
        except Exception:
            logger.exception("heartbeat of run %s failed; retrying in %.1f s",
                             self.run_id, self.interval)
            return None
        self.last = run
        gone = run.is_finished or run.status is RunStatus.QUEUED
        if (run.cancel_requested or gone) and self.on_stop is not None:
            try:
                self.on_stop(run)
            except Exception:
                logger.exception("stopping run %s after a heartbeat failed", self.run_id)
        return run

    def start(self) -> Heartbeat:
        """Start beating in the background (the first beat comes after one interval)."""
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"daggo-heartbeat-{self.run_id[:8]}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating; returns once the thread is done (or after one interval)."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.interval + 1.0)

    def _loop(self) -> None:
        # A fixed rate: a slow write does not push every later beat back.
        next_beat = time.monotonic() + self.interval
        while not self._stopped.wait(max(0.0, next_beat - time.monotonic())):
            self.beat()
            next_beat = max(next_beat + self.interval, time.monotonic())

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

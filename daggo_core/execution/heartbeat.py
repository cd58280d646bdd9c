"""Worker heartbeats: a daemon thread telling storage that a run's worker is alive.

The heartbeat has a thread of its own and takes a connection of its own from the pool for
each beat, so it never waits behind the run's event writer. It is what tells the run
monitor that a worker on another machine, or a hung one, is alive; a local worker's
liveness comes from its process (see `run_monitor`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from daggo_core.execution.local_workers import touch_beat
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, RunStatus

__all__ = ["Heartbeat", "worker_id"]

logger = logging.getLogger("daggo.heartbeat")


def worker_id(pid: int | None = None) -> str:
    """The id a worker process records on its runs: `hostname:pid`."""
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


class Heartbeat:
    """Heartbeats attempt `attempt` of `run_id` as `worker` every `interval` seconds from
    a daemon thread.

    Each beat returns the stored run; when it shows that cancellation was requested, or
    that the run is no longer this attempt's to execute (`superseded`: it ended
    elsewhere, or was queued or claimed again), `on_stop(run)` is called, on every such
    beat, so a caller can escalate. Storage errors are logged and retried on the next
    beat: a database hiccup must not kill the run.
    """

    def __init__(self, storage: Storage, run_id: str, worker: str, *, attempt: int,
                 interval: float, on_stop: Callable[[Run], None] | None = None) -> None:
        self.storage = storage
        self.run_id = run_id
        self.worker = worker
        self.attempt = attempt
        self.interval = interval
        self.on_stop = on_stop
        self.last: Run | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._local_started = False

    def beat(self) -> Run | None:
        """Heartbeat once now; returns the run, or None if storage failed."""
        try:
            run = self.storage.heartbeat(self.run_id, self.worker, attempt=self.attempt)
        except Exception:
            logger.exception("heartbeat of run %s failed; retrying in %.1f s",
                             self.run_id, self.interval)
            return None
        self.last = run
        if (run.cancel_requested or self.superseded(run)) and self.on_stop is not None:
            try:
                self.on_stop(run)
            except Exception:
                logger.exception("stopping run %s after a heartbeat failed", self.run_id)
        return run

    def superseded(self, run: Run) -> bool:
        """Whether `run`, as stored, is no longer this attempt's to execute."""
        return (run.attempt != self.attempt or run.is_finished
                or run.status is RunStatus.QUEUED)

    def start_local(self) -> None:
        """Touch this process's beat file each interval from a thread of its own, until
        `stop()` (already while the run is being taken over: its first writes may wait
        for the database)."""
        if not self._local_started:
            self._local_started = True
            threading.Thread(target=self._local_loop, daemon=True,
                             name=f"daggo-beat-{self.run_id[:8]}").start()

    def start(self) -> Heartbeat:
        """Start beating in the background (the first beat comes after one interval),
        and touching this process's beat file (`start_local`)."""
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"daggo-heartbeat-{self.run_id[:8]}")
        self._thread.start()
        self.start_local()
        return self

    def stop(self) -> None:
        """Stop beating; returns once the thread is done (or after one interval)."""
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.interval + 1.0)

    def _local_loop(self) -> None:
        # The monitor of this host reads it when the storage heartbeat is late: fresh, the
        # process is alive and waiting for the database, not hung.
        try:
            while True:
                touch_beat()
                if self._stopped.wait(self.interval):
                    return
        except OSError:
            logger.warning("cannot touch this process's beat file; the run monitor will "
                           "judge this worker by its storage heartbeat only", exc_info=True)

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

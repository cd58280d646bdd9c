"""An executor's rows in the worker registry (`WorkerStorage`), written off the launch path.

The executor tells the registry what each of its workers does as it happens (`update`,
`gone`): in memory, under a lock, never waiting for the database. Its supervisor thread
calls `flush` every tick, which stores the changes (one save per changed worker, one
delete per exited one that had a row) and, every heartbeat interval, refreshes the rows
of all live workers in one statement. A launch therefore costs no extra transaction: the
row of the worker a run went to says RUNNING within a supervisor tick, and a worker that
lived shorter than a tick never gets a row. A row found missing at a heartbeat (pruned
while this process could not reach the database) is saved again.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

from attrs import evolve

from daggo_core.errors import DaggoError
from daggo_core.execution.heartbeat import worker_id
from daggo_core.storage.base import WorkerStorage
from daggo_core.storage.records import WorkerRecord, WorkerState, utcnow

__all__ = ["WorkerRegistry"]

logger = logging.getLogger("daggo.executor")


class WorkerRegistry:
    """The registry rows of the workers of one executor, on this host.

    `executor` is the executor's name, stored on each row; `heartbeat_interval` how
    often `flush` heartbeats the rows (`clock` is monotonic, for tests).
    """

    def __init__(self, storage: WorkerStorage, *, executor: str, heartbeat_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from daggo_core import __version__

        self.storage = storage
        self.executor = executor
        self.heartbeat_interval = heartbeat_interval
        self.clock = clock
        self.version = __version__
        self.host = socket.gethostname()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: `_stored` is its own
        self._live: dict[str, WorkerRecord] = {}
        self._changed: set[str] = set()
        self._gone: set[str] = set()
        self._stored: set[str] = set()  # ids whose row this registry saved
        self._beaten_at = clock()  # the rows saved meanwhile are fresh
        self._failing = False

    def update(self, pid: int, state: WorkerState, run_id: str | None = None) -> None:
        """Worker process `pid` is now in `state` (executing `run_id`)."""
        key = worker_id(pid)
        with self._lock:
            current = self._live.get(key)
            started_at = current.started_at if current is not None else utcnow()
            self._live[key] = WorkerRecord(
                id=key, host=self.host, pid=pid, executor=self.executor, state=state,
                run_id=run_id, started_at=started_at, heartbeat_at=started_at,
                version=self.version)
            self._changed.add(key)
            self._gone.discard(key)

    def gone(self, pid: int) -> None:
        """Worker process `pid` exited (or was let go): its row is to be removed."""
        key = worker_id(pid)
        with self._lock:
            if self._live.pop(key, None) is not None:
                self._changed.discard(key)
                self._gone.add(key)

    def flush(self) -> None:
        """Store the changes since the last flush, then heartbeat the live workers' rows
        if an interval has passed. A storage error is logged, and what was not stored is
        stored at the next flush."""
        with self._flushing:
            with self._lock:
                gone, self._gone = self._gone, set()
                changed = [self._live[key] for key in sorted(self._changed)]
                self._changed = set()
            try:
                self._store(gone, changed)
            except DaggoError as exc:
                if not self._failing:
                    logger.warning("could not store the rows of this executor's workers "
                                   "(%s); retrying", exc)
                self._failing = True
                return
            if self._failing:
                logger.info("the rows of this executor's workers are stored again")
            self._failing = False

    def _store(self, gone: set[str], changed: list[WorkerRecord]) -> None:
        """Remove, save, heartbeat; on a failure, what is left is put back for the next
        flush (unless it changed again meanwhile)."""
        removing = sorted(key for key in gone if key in self._stored)
        try:
            while removing:
                self.storage.remove_worker(removing[0])
                self._stored.discard(removing.pop(0))
            while changed:
                self.storage.save_worker(evolve(changed[0], heartbeat_at=utcnow()))
                self._stored.add(changed.pop(0).id)
        except BaseException:
            with self._lock:
                self._gone.update(key for key in removing if key not in self._live)
                self._changed.update(r.id for r in changed if r.id in self._live)
            raise
        now = self.clock()
        if now - self._beaten_at < self.heartbeat_interval:
            return
        with self._lock:
            beating = self._stored & set(self._live)
        present = self.storage.heartbeat_workers(beating, utcnow())
        self._beaten_at = now
        missing = beating - present
        if missing:
            self._stored -= missing
            with self._lock:
                self._changed.update(key for key in missing if key in self._live)

"""The rows of a registrant's workers and pool in the worker registry (`WorkerStorage`),
written off the launch path, and the drains admins ask of them.

This is the public contract of the registry for executors and their workers, daggo's
own and plugins' alike (a Celery worker registers its pool processes with
`executor="celery"` and its Celery queues as `queues`):

- `update(pid, state, run_id)` and `gone(pid)` tell the registry what each worker does
  as it happens: in memory, under a lock, never waiting for the database;
- `flush()` stores the changes (one save per changed worker, one delete per exited one
  that had a row) and, every heartbeat interval, saves the pool's row and refreshes the
  rows of all live workers in one statement, reading back which of them, and whether
  the pool, an admin asked to drain. Call it every tick (at most a second) from a thread
  of your own, or let `start()` run a thread that does and `close()` stop it. A row found
  missing at a heartbeat (pruned while this process could not reach the database) is
  saved again. A worker that lived shorter than a tick never gets a row;
- `on_drain(listener)`: each time what is asked to drain changes (`DrainOrders`: the
  pool, and the pids of workers asked, by their own row or their pool's), the listeners
  are called, on the flushing thread. A listener must stop taking new runs for what the
  orders name before it returns (finishing the runs in hand): once every listener has
  returned, the registry records that the drain is accepted, and an admin sees the
  workers DRAINED once they hold no run. When a listener raises, or the acceptance could
  not be stored, the listeners are called again with the same orders at the next
  heartbeat: they must take being told the same twice. Orders that no longer name
  something (an admin resumed it) mean: take runs again. Drains are seen within a
  heartbeat interval of the request.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence

from attrs import evolve, frozen

from daggo_core.errors import DaggoError
from daggo_core.execution.heartbeat import worker_id
from daggo_core.storage.base import WorkerStorage
from daggo_core.storage.drain_records import PoolRecord
from daggo_core.storage.records import WorkerRecord, WorkerState, utcnow

__all__ = ["DrainListener", "DrainOrders", "WorkerRegistry"]

logger = logging.getLogger("daggo.executor")


@frozen
class DrainOrders:
    """What a registrant is asked to drain: its pool (`pool`), and its workers by pid
    (`pids`, every worker of the pool when the pool is)."""

    pool: bool = False
    pids: frozenset[int] = frozenset()


#: Called with the new orders each time they change (see the module's docstring).
DrainListener = Callable[[DrainOrders], None]


class WorkerRegistry:
    """The registry rows of one registrant's workers on this host, and of its pool.

    `executor` is stored on each row; `pool` names the pool the workers are drained with
    (None: no pool, and no pool row), whose row this registry keeps unless `saves_pool`
    is false (another process of the pool keeps it: a Celery worker's main process keeps
    its node's, each pool process its own worker row); `queues` are the queues they take runs from;
    `version` is the deploy version of the code they run (default: daggo's version);
    `active_runs`, if given, counts the runs the pool executes for its row (by default
    they are counted from its workers' rows). `heartbeat_interval` is how often `flush`
    heartbeats the rows (`clock` is monotonic, for tests).
    """

    #: Seconds between the flushes of the thread `start()` runs (at most).
    tick: float = 1.0

    def __init__(self, storage: WorkerStorage, *, executor: str, heartbeat_interval: float,
                 pool: str | None = None, saves_pool: bool = True, queues: Sequence[str] = (),
                 version: str | None = None, active_runs: Callable[[], int] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from daggo_core import __version__

        self.storage = storage
        self.executor = executor
        self.heartbeat_interval = heartbeat_interval
        self.pool = pool
        self.saves_pool = saves_pool
        self.queues = tuple(queues)
        self.clock = clock
        self.version = version or __version__
        self.host = socket.gethostname()
        self._active_runs = active_runs
        self._started_at = utcnow()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time: `_stored` is its own
        self._live: dict[str, WorkerRecord] = {}
        self._changed: set[str] = set()
        self._gone: set[str] = set()
        self._stored: set[str] = set()  # ids whose row this registry saved
        self._beaten_at: float | None = None  # None: heartbeat (and save the pool) now
        self._failing = False
        self._listeners: list[DrainListener] = []
        self._orders = DrainOrders()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def orders(self) -> DrainOrders:
        """What this registrant was last told to drain (and its listeners accepted)."""
        return self._orders

    def on_drain(self, listener: DrainListener) -> None:
        """Call `listener(orders)` each time the drain orders change."""
        self._listeners.append(listener)

    def update(self, pid: int, state: WorkerState, run_id: str | None = None) -> None:
        """Worker process `pid` is now in `state` (executing `run_id`)."""
        key = worker_id(pid)
        with self._lock:
            current = self._live.get(key)
            started_at = current.started_at if current is not None else utcnow()
            self._live[key] = WorkerRecord(
                id=key, host=self.host, pid=pid, executor=self.executor, state=state,
                run_id=run_id, started_at=started_at, heartbeat_at=started_at,
                version=self.version, pool=self.pool or "", queues=self.queues)
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
        """Store the changes since the last flush, then, if an interval has passed,
        heartbeat the rows and learn the drain orders (calling the listeners when they
        changed). A storage error is logged, and what was not stored is stored at the
        next flush."""
        with self._flushing:
            with self._lock:
                gone, self._gone = self._gone, set()
                changed = [self._live[key] for key in sorted(self._changed)]
                self._changed = set()
            try:
                orders = self._store(gone, changed)
                if orders is not None and orders != self._orders:
                    self._obey(orders)
            except DaggoError as exc:
                if not self._failing:
                    logger.warning("could not store the rows of this executor's workers "
                                   "(%s); retrying", exc)
                self._failing = True
                return
            if self._failing:
                logger.info("the rows of this executor's workers are stored again")
            self._failing = False

    def start(self) -> None:
        """Flush every `tick` seconds (or heartbeat interval, if shorter) from a daemon
        thread, until `close()`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._flush_forever, daemon=True,
                                            name=f"daggo-registry-{self.executor}")
            self._thread.start()

    def close(self) -> None:
        """Stop the thread of `start()`, then store what is left to store."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _flush_forever(self) -> None:
        tick = min(self.tick, self.heartbeat_interval)
        while not self._stop.wait(tick):
            self.flush()

    def _store(self, gone: set[str], changed: list[WorkerRecord]) -> DrainOrders | None:
        """Remove, save, heartbeat; the drain orders read at a heartbeat (None if there
        was none). On a failure, what is left is put back for the next flush (unless it
        changed again meanwhile)."""
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
        if self._beaten_at is not None and now - self._beaten_at < self.heartbeat_interval:
            return None
        with self._lock:
            beating = self._stored & set(self._live)
        at = utcnow()
        if self.pool is not None and self.saves_pool:
            self.storage.save_pool(PoolRecord(
                name=self.pool, executor=self.executor, host=self.host, version=self.version,
                queues=self.queues, started_at=self._started_at, heartbeat_at=at,
                active_runs=self._active_runs() if self._active_runs else None))
        beat = self.storage.heartbeat_workers(beating, at, pool=self.pool)
        self._beaten_at = now
        missing = beating - beat.present
        if missing:
            self._stored -= missing
            with self._lock:
                self._changed.update(key for key in missing if key in self._live)
        with self._lock:
            pids = frozenset(w.pid for key, w in self._live.items() if key in beat.draining)
        return DrainOrders(pool=beat.pool_draining, pids=pids)

    def _obey(self, orders: DrainOrders) -> None:
        """Tell the listeners, then accept what the orders ask (a listener that raises
        leaves them to the next heartbeat)."""
        for listener in self._listeners:
            try:
                listener(orders)
            except Exception:
                logger.exception("a drain listener failed; it is called again at the next "
                                 "heartbeat")
                return
        self.storage.accept_drain(worker_ids=[worker_id(pid) for pid in orders.pids],
                                  pool=self.pool if orders.pool and self.saves_pool
                                  else None, at=utcnow())
        self._orders = orders

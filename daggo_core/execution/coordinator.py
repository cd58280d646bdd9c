"""The run coordinator: claims queued runs within the concurrency limits and launches them."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping

from daggo_core.execution.claim_policy import ClaimDecision, ConcurrencyLimits, choose_runs
from daggo_core.execution.heartbeat import worker_id
from daggo_core.execution.loop_events import set_event, wait_event
from daggo_core.extensions import Executor
from daggo_core.storage.base import RunFilter, Storage, WorkNotifier
from daggo_core.storage.records import ACTIVE_RUN_STATUSES, Run, RunStatus

__all__ = ["RunCoordinator"]

logger = logging.getLogger("daggo.coordinator")

_QUEUED = RunFilter(statuses=(RunStatus.QUEUED,))
_ACTIVE = RunFilter(statuses=tuple(sorted(ACTIVE_RUN_STATUSES)))


class RunCoordinator:
    """Keeps the executor fed with queued runs, within every concurrency limit.

    Limits are global (`max_concurrent_runs`, counted over every coordinator of the
    database), per job, per tag, per partition key of a queue, with optional fair sharing
    across one tag's values; the
    choice and the claim happen in one storage transaction, so they hold with several
    coordinators. Runs left queued record why they wait. The coordinator dispatches when
    woken (a launch from this process, a run finishing) and otherwise every
    `poll_interval` seconds. On a storage with a work notifier, runs queued or finished
    by other processes wake it too, and it polls only every `notified_poll_interval`.
    `on_launch(run)`, if given, is called for each run handed to the executor;
    `waiting` counts the queued runs its last pass left waiting, by kind of reason
    (`claim_policy.WAIT_KINDS`).

    Claimed runs record `version` (the server's deploy version); with `deploy_lock`, the
    claim itself claims nothing unless that deploy lock lets this version claim
    (`claim_runs`). `pause(cause, reason)` stops claiming until `resume(cause)`: a drain
    of this server's pool, or a deploy drain, each a cause of its own.
    """

    #: The safety-net poll on a storage that notifies (a notification may be missed).
    notified_poll_interval: float = 5.0
    #: How long one `wait_for_work` call blocks a thread (bounds shutdown delay).
    notify_wait_seconds: float = 1.0
    #: While the executor has no free slot, how often (at most) a pass still runs the
    #: claim transaction, which claims nothing then but records why the queued runs wait:
    #: the wake-ups of every run queued or ended cost nothing in between.
    full_recheck_seconds: float = 1.0

    def __init__(
        self,
        storage: Storage,
        executor: Executor,
        *,
        max_concurrent_runs: int,
        poll_interval: float,
        job_limits: Mapping[str, int] | None = None,
        tag_limits: Mapping[str, int] | None = None,
        fair_share_tag: str | None = None,
        partition_limits: Mapping[str, int] | None = None,
        on_launch: Callable[[Run], None] | None = None,
        version: str | None = None,
        deploy_lock: str | None = None,
    ) -> None:
        self.storage = storage
        self.executor = executor
        self._me = worker_id()  # claims are recorded to this process until handed over
        self.max_concurrent_runs = max_concurrent_runs
        self.poll_interval = poll_interval
        self.job_limits = dict(job_limits or {})
        self.tag_limits = dict(tag_limits or {})
        self.fair_share_tag = fair_share_tag
        self.partition_limits = dict(partition_limits or {})
        self.on_launch = on_launch
        self.version = version
        self.deploy_lock = deploy_lock
        self.waiting: Counter[str] = Counter()
        self._paused: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle_state: tuple[int, int] | None = None
        self._full_since: float | None = None  # the last full pass that ran the claim
        self._dispatching = threading.Lock()
        self._closed = False

    def wake(self) -> None:
        """Dispatch now instead of at the next poll; safe to call from any thread."""
        set_event(self._loop, self._wake)

    def limits(self) -> ConcurrencyLimits:
        """The limits for the next claim, with this executor's free capacity."""
        free = self.max_concurrent_runs - len(self.executor.active_run_ids())
        return ConcurrencyLimits(
            max_concurrent_runs=self.max_concurrent_runs, job_limits=self.job_limits,
            tag_limits=self.tag_limits, fair_share_tag=self.fair_share_tag,
            partition_limits=self.partition_limits, free_slots=free,
        )

    def dispatch_once(self, *, force: bool = True) -> int:
        """Claim what the limits allow now and launch it; returns how many runs launched.

        Unless `force`d, nothing is claimed while the numbers of queued and active runs
        are what they were after the last claim that launched nothing: a poll then costs
        one read, not a write transaction.
        """
        with self._dispatching:
            if self._closed:
                return 0
            return self._dispatch(force)

    def close(self) -> None:
        """Dispatch no more; returns once a dispatch in flight has launched its runs, so
        the executor can be closed after it. Safe to call from any thread."""
        with self._dispatching:
            self._closed = True

    def pause(self, cause: str, reason: str) -> None:
        """Claim nothing while paused for `cause` (`reason` says why, for people);
        returns once a dispatch in flight has launched its runs: from then on nothing is
        claimed. Safe to call from any thread."""
        with self._dispatching:
            self._paused[cause] = reason

    def resume(self, cause: str) -> None:
        """End the pause for `cause`; the coordinator claims again (at once) if nothing
        else pauses it. Safe to call from any thread."""
        if self._paused.pop(cause, None) is not None:
            self.wake()

    @property
    def paused(self) -> dict[str, str]:
        """Why the coordinator claims nothing now, by cause (empty: it claims)."""
        return dict(self._paused)

    def _dispatch(self, force: bool) -> int:
        if self._paused:
            return 0
        # A full executor claims nothing but still records why the queued runs wait,
        # every `full_recheck_seconds`.
        limits = self.limits()
        if limits.free_slots is not None and limits.free_slots <= 0:
            now = time.monotonic()
            if self._full_since is not None and now - self._full_since < self.full_recheck_seconds:
                return 0
            self._full_since = now
        else:
            self._full_since = None
        state = (self.storage.count_runs(_QUEUED), self.storage.count_runs(_ACTIVE))
        if state[0] == 0:
            self.waiting = Counter()
        if state[0] == 0 or (not force and state == self._idle_state):
            return 0
        decided: list[ClaimDecision] = []

        def choose(queued: list[Run], running: list[Run]) -> tuple[tuple[str, ...],
                                                                   Mapping[str, str]]:
            decided.append(choose_runs(queued, running, limits))
            return decided[-1].claim, decided[-1].waiting

        runs = self.storage.claim_runs(choose, claimer=self._me, version=self.version,
                                       deploy_lock=self.deploy_lock)
        # The decision of the transaction that committed (none: nothing was queued).
        self.waiting = Counter(decided[-1].wait_kinds.values() if decided else ())
        self._idle_state = None if runs else state
        for run in runs:
            logger.info("launching run %s of job %s", run.id, run.job_name)
            self.executor.launch(run)
            if self.on_launch is not None:
                try:
                    self.on_launch(run)
                except Exception:  # an observer never keeps the next runs from launching
                    logger.exception("on_launch failed for run %s", run.id)
        return len(runs)

    async def run_forever(self) -> None:
        """Dispatch until cancelled; storage errors are logged and retried next tick."""
        self._loop = asyncio.get_running_loop()
        poll_interval, listener = self.poll_interval, None
        try:
            notifier = self.storage.work_notifier()
        except Exception:
            logger.exception("cannot listen for storage notifications; polling every %s s",
                             poll_interval)
            notifier = None
        if notifier is not None:
            poll_interval = max(poll_interval, self.notified_poll_interval)
            listener = asyncio.create_task(self._listen(notifier), name="daggo-work-listener")
        woken = True
        try:
            while True:
                self._wake.clear()
                try:
                    await asyncio.to_thread(self.dispatch_once, force=woken)
                except Exception:
                    logger.exception("run coordinator failed to dispatch; retrying")
                woken = await wait_event(self._wake, poll_interval)
        finally:
            if listener is not None:
                listener.cancel()

    async def _listen(self, notifier: WorkNotifier) -> None:
        """Turn the storage's notifications into wake-ups, until cancelled."""
        while True:
            try:
                woken = await asyncio.to_thread(notifier.wait_for_work, self.notify_wait_seconds)
            except Exception:
                logger.exception("waiting for storage notifications failed; retrying")
                await asyncio.sleep(self.notify_wait_seconds)
                continue
            if woken:
                self._wake.set()

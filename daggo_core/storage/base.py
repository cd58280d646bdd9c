"""The storage interface: one narrow protocol per concern, combined into `Storage`.

A component depends on the protocols it uses (the run monitor on runs and steps, the
scheduler on schedules); `Storage` is everything a backend provides. Lists page by keyset
(`RunPosition`, event ids), never by OFFSET, so a page costs the same deep in history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from attrs import field, frozen

from daggo_core.storage.asset_records import AssetWrites
from daggo_core.storage.asset_storage import AssetStorage, BackfillStorage, PartitionStorage
from daggo_core.storage.deploy_storage import DeployStorage
from daggo_core.storage.drain_records import PoolRecord, WorkerBeat
from daggo_core.storage.purge import RetentionStorage
from daggo_core.storage.records import (
    ErrorInfo,
    Event,
    EventKind,
    JobRecord,
    LoaderState,
    PartitionSummary,
    QueueError,
    QueueItem,
    QueueItemStatus,
    QueueRecord,
    Run,
    RunBar,
    RunStatus,
    RunTrigger,
    ScheduleState,
    ScheduleTick,
    StepRecord,
    StepStatus,
    TickStatus,
    WorkerRecord,
)
from daggo_core.storage.ticks import TickClaim, TickDecider

T = TypeVar("T")

__all__ = [
    "ClaimChooser",
    "CursorAdvance",
    "EventFilter",
    "EventListener",
    "EventStorage",
    "Fence",
    "Ingested",
    "ItemFilter",
    "ItemPosition",
    "JobStorage",
    "NewItem",
    "QueueStorage",
    "RunFilter",
    "RunPosition",
    "RunStorage",
    "ScheduleStorage",
    "StepStorage",
    "StepWrites",
    "Storage",
    "TickPosition",
    "WorkNotifier",
    "WorkerPosition",
    "WorkerStorage",
]


@frozen
class Fence:
    """The execution attempt a worker's writes belong to.

    Each claim of a run starts a new attempt (`Run.attempt`); storage refuses a fenced
    write, raising AttemptSupersededError, unless the run is still active in that attempt.
    """

    run_id: str
    attempt: int


@frozen
class StepWrites:
    """Step records to insert (`new`) or replace (`changed`), events to append, and what
    the steps did to assets."""

    new: Sequence[StepRecord] = ()
    changed: Sequence[StepRecord] = ()
    events: Sequence[Event] = ()
    assets: AssetWrites = field(factory=AssetWrites)


@frozen(kw_only=True)
class RunFilter:
    """Which runs a list or count covers; every given condition must hold.

    `statuses`/`triggers` of None mean any (an empty tuple matches nothing); `tags` must
    all be present with those values; `created_after` is inclusive, `created_before`
    exclusive.
    """

    job_name: str | None = None
    statuses: tuple[RunStatus, ...] | None = None
    triggers: tuple[RunTrigger, ...] | None = None
    tags: Mapping[str, str] = field(factory=dict)
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    backfill_id: str | None = None


@frozen
class RunPosition:
    """Where a page of runs (newest first) ended: the last run's creation time and id."""

    created_at: dt.datetime
    id: str


@frozen(kw_only=True)
class EventFilter:
    """Which events of a run a page holds: a step's, some kinds, some levels, a text.

    `search` matches messages containing it, ignoring case.
    """

    step_key: str | None = None
    kinds: tuple[EventKind, ...] | None = None
    levels: tuple[str, ...] | None = None
    search: str | None = None

    def matches(self, event: Event) -> bool:
        """Whether `event` is one the filter keeps (as a storage query with it would)."""
        return ((self.step_key is None or event.step_key == self.step_key)
                and (self.kinds is None or event.kind in self.kinds)
                and (self.levels is None or event.level in self.levels)
                and (not self.search or self.search.lower() in event.message.lower()))


@frozen
class TickPosition:
    """Where a page of ticks (newest first) ended: the last tick's time and id."""

    scheduled_for: dt.datetime
    id: int


@frozen
class WorkerPosition:
    """Where a page of workers (by host, then pid) ended: the last worker's host and pid."""

    host: str
    pid: int


@frozen(kw_only=True)
class ItemFilter:
    """Which queue items a list or count covers; every given condition must hold.

    `statuses` of None means any; `dead_lettered` True keeps only dead-lettered items,
    False only the others; `created_after` is inclusive, `created_before` exclusive.
    """

    queue_name: str | None = None
    statuses: tuple[QueueItemStatus, ...] | None = None
    partition_key: str | None = None
    dead_lettered: bool | None = None
    duplicate_of: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None


@frozen
class ItemPosition:
    """Where a page of items (newest first) ended: the last item's creation time and id."""

    created_at: dt.datetime
    id: str


@frozen(kw_only=True)
class NewItem:
    """A delivery to store: the item (QUEUED, its key set) and, should it be accepted,
    the runs it starts with their first events."""

    item: QueueItem
    runs: Sequence[Run] = ()
    events: Sequence[Event] = ()


@frozen(kw_only=True)
class CursorAdvance:
    """A loader's cursor to store with its batch: `version` is the LoaderState version
    the batch was loaded from; `lag` what the loader said its source still holds."""

    version: int
    cursor: str | None
    lag: int | None = None


@frozen(kw_only=True)
class Ingested:
    """What a delivery stored: accepted items, and deduplicated ones (`duplicate_of` set)."""

    accepted: tuple[QueueItem, ...]
    duplicates: tuple[QueueItem, ...]


#: `choose(queued, running) -> (ids to claim, {queued run id: why it waits})`.
ClaimChooser = Callable[[list[Run], list[Run]], tuple[Sequence[str], Mapping[str, str]]]


class JobStorage(Protocol):
    def sync_jobs(self, jobs: Sequence[JobRecord]) -> None:
        """Upsert `jobs` as the active set; jobs missing from it are marked inactive.

        Safe when several processes sync the same jobs at once.
        """

    def get_job(self, name: str) -> JobRecord | None:
        """Return the job named `name` (active or not), or None."""

    def list_jobs(self, *, include_inactive: bool = False, after: str | None = None,
                  limit: int | None = None,
                  name_contains: str | None = None) -> list[JobRecord]:
        """Return jobs ordered by name (in the database's collation): at most `limit`,
        those named after `after` (a keyset page), whose name contains `name_contains`
        (in any case) if given."""


class RunStorage(Protocol):
    def add_run(self, run: Run, events: Sequence[Event] = ()) -> Run:
        """Insert a new run (and its first events) in one transaction; returns it."""

    def get_run(self, run_id: str) -> Run:
        """Return the run; raises RunNotFoundError if there is none."""

    def get_runs(self, run_ids: Collection[str]) -> list[Run]:
        """The runs of `run_ids` that exist (one query), in no particular order."""

    def find_run_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Ids of up to `limit` runs whose id starts with `prefix`, in id order."""

    def list_runs(self, where: RunFilter | None = None, *, limit: int = 50,
                  after: RunPosition | None = None) -> list[Run]:
        """Runs matching `where` (all runs if None), newest first (by creation time, then
        id), from just after `after` (the last run of the previous page)."""

    def list_run_bars(self, start: dt.datetime, end: dt.datetime, *,
                      created_after: dt.datetime, gap: dt.timedelta, now: dt.datetime,
                      job_name: str | None = None) -> list[RunBar]:
        """The runs that overlap `start`..`end` (of job `job_name`, or all) as the bars
        of a timeline, by job name and then start: per job, a run whose span (cut to the
        window) begins less than `gap` after the bar before it ends joins that bar, and
        runs whose spans begin in one `gap`-wide slot from `start` always share one.

        The runs are those created before `end` and not finished before `start`, among
        those created at or after `created_after` (which bounds the scan), plus every
        queued or active run created earlier; one still going ends at `now`. Times are
        compared to the millisecond."""

    def count_runs(self, where: RunFilter | None = None) -> int:
        """How many runs match `where` (all runs if None)."""

    def count_runs_by_job_status(
            self, where: RunFilter | None = None) -> dict[tuple[str, RunStatus], int]:
        """How many runs match `where` (all runs if None), by (job name, status), in one
        grouped query; pairs with no run are absent."""

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: ErrorInfo | None = None,
        events: Sequence[Event] = (),
        expected: Collection[RunStatus] | None = None,
        steps: StepWrites | None = None,
        attempt: int | None = None,
    ) -> Run:
        """Move a run to `status` and append `events`, in one transaction.

        Sets `started_at` on STARTED and `finished_at` on a terminal status. With
        `expected`, nothing changes unless the current status is one of them, and with
        `attempt` unless the run is in that attempt (the run is returned as it is).
        `steps` are stored in the same transaction when the run moves, never otherwise.
        Raises RunNotFoundError for an unknown run.
        """

    def start_run(self, run_id: str, events: Sequence[Event] = (), *,
                  attempt: int | None = None) -> Run | None:
        """Move a STARTING run (in `attempt`, if given) to STARTED; None if it was not
        STARTING in it (do not execute it). Raises RunNotFoundError for an unknown run.
        """

    def claim_runs(self, choose: ClaimChooser, *, scan_limit: int = 500,
                   key_scan_limit: int = 1000, claimer: str | None = None,
                   version: str | None = None, deploy_lock: str | None = None) -> list[Run]:
        """Claim the queued runs that `choose(queued, running)` picks, in one transaction:
        each starts a new attempt (STARTING), recorded to `claimer` and its deploy
        `version` (`Run.claimed_version`). With `deploy_lock`, nothing is claimed (and
        `choose` is not called) while that lock exists and is not ACTIVE for `version`
        (see `DeployStorage`).

        `queued` holds up to `scan_limit` oldest QUEUED runs (when more are queued, also
        the oldest of up to `key_scan_limit` partition keys, the keys taken in turn over
        successive claims, and of the runs without one), `running` every STARTING or
        STARTED run; runs left queued get the returned reason as `wait_reason`. Safe with
        several claimers on one database: each run is returned to one only.
        """

    def heartbeat(self, run_id: str, worker_id: str, *, attempt: int | None = None) -> Run:
        """Record that `worker_id` is executing the run now (only if the run is active,
        and in `attempt` when given), refreshing the worker's row's `heartbeat_at` too
        (see `WorkerStorage`); returns the run as stored."""

    def keep_claim(self, fence: Fence, claimer: str) -> bool:
        """Refresh the heartbeat of a run handed to a remote worker that has not taken it
        yet: only while it is STARTING in attempt `fence`, recorded to `claimer` (a worker
        that took it over meanwhile keeps its own record). Whether it was refreshed."""

    def end_attempt(self, fence: Fence, status: RunStatus, *, error: ErrorInfo | None,
                    events: Sequence[Event], step_status: StepStatus, step_message: str,
                    stale_before: dt.datetime | None = None,
                    retry: tuple[Run, Sequence[Event]] | None = None) -> tuple[Run, bool]:
        """End the run's attempt `fence` for a worker that is gone, in one transaction.

        Only if the run is still active in that attempt (and, with `stale_before`, its
        last heartbeat is older than that): its RUNNING and PENDING steps end
        `step_status` with `error` and a `step_message` event each, the run moves to
        `status` with `events`, and `retry` (a new run with its first events), if given,
        is added. Returns the run as stored and whether it ended.
        """

    def request_cancel(self, run_id: str) -> Run:
        """End a QUEUED run as CANCELED, or flag an active one `cancel_requested`."""

    def find_stale_runs(self, cutoff: dt.datetime) -> list[Run]:
        """Active runs whose last heartbeat (or claim) is older than `cutoff`."""


class StepStorage(Protocol):
    def record_steps(
        self,
        new: Sequence[StepRecord],
        changed: Sequence[StepRecord],
        events: Sequence[Event] = (),
        *,
        fence: Fence | None = None,
        assets: AssetWrites | None = None,
    ) -> None:
        """Insert `new` steps, replace `changed` ones and append `events`, in one transaction.

        For the writer that owns a run's steps and knows which ones it stored before.
        `assets` (what the steps did to assets' partitions) is stored in the same
        transaction.
        Costs the same per step however many steps the run has. With `fence`, raises
        AttemptSupersededError (storing nothing) unless the run is active in that attempt.
        """

    def list_steps(self, run_id: str) -> list[StepRecord]:
        """Return the run's steps in the order they were first recorded."""


#: Called with the events a transaction stored, once it committed (see `EventStorage`).
EventListener = Callable[[Sequence[Event]], None]


class EventStorage(Protocol):
    def add_events(self, events: Sequence[Event], *, fence: Fence | None = None) -> None:
        """Append events (log lines, transitions) to their runs' event logs; with `fence`,
        as `record_steps` does."""

    def add_event_listener(self, listener: EventListener) -> None:
        """Call `listener(events)` after every transaction of this storage object that
        stored events committed, with them in the order stored, on the committing
        thread: it must return at once (hand them to a queue)."""

    def list_events(
        self,
        run_id: str,
        where: EventFilter | None = None,
        *,
        after_id: int = 0,
        before_id: int | None = None,
        newest_first: bool = False,
        limit: int = 1000,
    ) -> list[Event]:
        """The run's events matching `where` (all if None) with `after_id` < id <
        `before_id` (no upper bound if None), oldest first; with `newest_first`, the
        newest `limit` of them, newest first (a log's tail, or the page before an id)."""

    def list_events_since(self, after_id: int, *, gaps: Sequence[tuple[int, int]] = (),
                          limit: int = 1000) -> list[Event]:
        """Events of every run with an id above `after_id` or within one of the inclusive
        id ranges `gaps`, oldest first, at most `limit`: one query tailing the whole
        log (ids a transaction took but had not committed yet are re-read as `gaps`)."""

    def last_event_id(self) -> int:
        """The highest event id stored (0 when there is none): where tailing starts."""


class ScheduleStorage(Protocol):
    def list_schedule_states(self) -> list[ScheduleState]:
        """Every schedule's bookkeeping row, ordered by job and key."""

    def ensure_schedule_states(
        self, keys: Collection[tuple[str, str]], last_tick_at: dt.datetime
    ) -> None:
        """Start the bookkeeping of `(job, key)` pairs at `last_tick_at`: missing states
        are created, states without a last tick (made by a toggle) get one."""

    def set_schedule_enabled(
        self, job_name: str, schedule_key: str, enabled: bool | None
    ) -> ScheduleState:
        """Store the Enabled override (None: back to the code's default)."""

    def claim_ticks(self, claims: Sequence[TickClaim], decide: TickDecider) -> list[ScheduleTick]:
        """Claim ticks and apply what `decide` makes of them, in one transaction.

        Ticks at or before their schedule's `last_tick_at` (claimed already, by any
        process) are dropped before `decide` sees the rest
        with each schedule's situation (override, active and buffered runs, recent
        outcomes); the decisions' runs, ticks, cancellations and pauses are stored
        together, and each schedule's `last_tick_at` moves forward. Returns the ticks
        stored or changed. Two processes never claim the same (job, key, time).
        """

    def list_ticks(
        self,
        job_name: str | None = None,
        schedule_key: str | None = None,
        *,
        statuses: Sequence[TickStatus] | None = None,
        limit: int = 50,
        after: TickPosition | None = None,
    ) -> list[ScheduleTick]:
        """Ticks newest first (by scheduled time, then id), optionally filtered, from just
        after `after` (the last tick of the previous page)."""

    def releasable_ticks(self) -> list[ScheduleTick]:
        """The oldest BUFFERED tick of each schedule with no run queued or running."""

    def delete_schedule_bookkeeping(self, keep: Collection[tuple[str, str]]) -> int:
        """Delete states and ticks of schedules not in `keep`; runs stay. Returns how many
        schedules were cleared."""

    def prune_ticks(self, before: dt.datetime) -> int:
        """Delete ticks scheduled before `before`, except BUFFERED ones; returns the count."""


class WorkerStorage(Protocol):
    """The registry of worker processes and their pools: each registrant (an executor,
    or a worker of a plugin) keeps the rows of its workers and of its pool; admins ask
    workers and pools to drain, and registrants accept (see `WorkerRecord`,
    `PoolRecord`)."""

    def save_worker(self, worker: WorkerRecord) -> None:
        """Insert the worker's row, or replace the row of the same id, but for its drain
        request and acceptance, which are kept."""

    def heartbeat_workers(self, ids: Collection[str], at: dt.datetime, *,
                          pool: str | None = None) -> WorkerBeat:
        """Set the `heartbeat_at` of the workers `ids` to `at` (one statement for all);
        returns the ids that had a row (a missing one was pruned or removed), those of
        them asked to drain (their own row or their pool's), and whether `pool` is."""

    def save_pool(self, pool: PoolRecord) -> None:
        """Insert the pool's row, or replace the row of the same name, but for its drain
        request and acceptance, which are kept."""

    def remove_pool(self, name: str) -> bool:
        """Delete the pool's row; whether there was one."""

    def list_pools(self) -> list[PoolRecord]:
        """Every pool, by name (pools are few: one per server, or per queue)."""

    def request_drain(self, *, worker_id: str | None = None, pool: str | None = None,
                      at: dt.datetime) -> bool:
        """Ask worker `worker_id` or pool `pool` (one of them) to drain: its
        `drain_requested_at` becomes `at` unless already asked (then it is kept, and so
        is an acceptance). Whether it had a row."""

    def resume_drain(self, *, worker_id: str | None = None, pool: str | None = None) -> bool:
        """Clear the drain request and acceptance of worker `worker_id` or pool `pool`
        (one of them): it takes runs again. Whether it had a row."""

    def accept_drain(self, *, worker_ids: Collection[str] = (), pool: str | None = None,
                     at: dt.datetime) -> None:
        """Record that the registrant takes no more runs for the workers `worker_ids`
        and pool `pool` asked to drain: `drain_accepted_at` becomes `at` where a drain is
        requested and not yet accepted (a drain resumed meanwhile is left alone)."""

    def remove_worker(self, worker_id: str) -> bool:
        """Delete the worker's row; whether there was one."""

    def get_worker(self, worker_id: str) -> WorkerRecord | None:
        """The worker's row, or None."""

    def list_workers(self, *, limit: int,
                     after: WorkerPosition | None = None) -> list[WorkerRecord]:
        """Up to `limit` workers by host, then pid, from just after `after` (the last
        worker of the previous page)."""

    def prune_workers(self, silent_before: dt.datetime) -> int:
        """Delete the rows of workers and pools whose last heartbeat is older than
        `silent_before`; returns how many."""


class QueueStorage(Protocol):
    """Queues synced from code, their items (with the runs each started), loader cursors
    and health, and ingestion errors. An item's status is rolled up from its runs in the
    transactions that change them (`daggo_core.storage.item_rollup`)."""

    def sync_queues(self, queues: Sequence[QueueRecord]) -> None:
        """Upsert `queues` as the active set; queues missing from it become inactive."""

    def get_queue(self, name: str) -> QueueRecord | None:
        """The queue named `name` (active or not), or None."""

    def list_queues(self, *, include_inactive: bool = False) -> list[QueueRecord]:
        """The queues by name."""

    def ingest(self, queue_name: str, items: Sequence[NewItem], *,
               cursor: CursorAdvance | None = None,
               errors: Sequence[QueueError] = ()) -> Ingested:
        """Store a delivery in one transaction: each item whose key the queue has not
        accepted yet (in storage or earlier in `items`) is accepted with its runs, each
        other one is stored DEDUPLICATED against the accepted item, `errors` (the items
        of the delivery refused) are added as by `add_queue_errors`, and `cursor`, if
        given, becomes the loader's. Raises CursorMovedError, storing nothing, when the
        loader's cursor is no longer at `cursor.version`."""

    def get_item(self, item_id: str) -> QueueItem:
        """The item of that id; raises QueueItemNotFoundError."""

    def find_item_ids(self, prefix: str, *, limit: int = 2) -> list[str]:
        """Up to `limit` item ids starting with `prefix` (to resolve a short id)."""

    def list_items(self, where: ItemFilter | None = None, *, limit: int = 50,
                   after: ItemPosition | None = None) -> list[QueueItem]:
        """Up to `limit` items matching `where`, newest first, after `after`."""

    def count_items(self, where: ItemFilter | None = None) -> int:
        """How many items match `where`."""

    def count_items_by_status(self, queue_name: str | None = None
                              ) -> dict[str, dict[QueueItemStatus, int]]:
        """Items by queue, then status (of one queue if given); dead-lettered items
        count in their status."""

    def count_dead_lettered(self, queue_name: str | None = None) -> dict[str, int]:
        """Dead-lettered items by queue (of one queue if given)."""

    def list_item_runs(self, item_id: str) -> list[Run]:
        """The runs of the item, oldest first."""

    def list_partitions(self, queue_name: str, *, limit: int = 50,
                        after: str | None = None) -> list[PartitionSummary]:
        """The queue's partition keys (of accepted items) in order, after `after`."""

    def add_item_runs(self, item_id: str, runs: Sequence[Run], events: Sequence[Event], *,
                      attempt: int) -> QueueItem | None:
        """Retry a finished item that did not succeed: add `runs` (new runs of some of its
        jobs, each re-running its job's latest run, `parent_run_id`) with their events,
        and count the attempt, while the item is still so in `attempt` and those runs are
        still their jobs' latest; returns the item, or None when not (another server
        retried it, or it runs again or succeeded meanwhile)."""

    def due_item_retries(self, now: dt.datetime, *, limit: int = 100) -> list[QueueItem]:
        """Failed items whose automatic retry is due at `now`, earliest first."""

    def merge_item_metadata(self, item_id: str, metadata: Mapping[str, object]) -> None:
        """Merge `metadata` into the item's (its keys replace the item's)."""

    def get_loader_state(self, queue_name: str) -> LoaderState:
        """The queue loader's cursor and health (a fresh state before its first poll)."""

    def list_loader_states(self) -> list[LoaderState]:
        """Every loader state stored, by queue name."""

    def record_loader_poll(self, queue_name: str, *, at: dt.datetime,
                           error: str | None = None, loaded: int = 0,
                           lag: int | None = None) -> LoaderState:
        """Record a poll of the loader at `at`: a success (resetting its failure count;
        `loaded` items more delivered, and its `lag` when given: a loader without a
        cursor, whose batches are stored without one) or, with `error`, a failure."""

    def add_queue_errors(self, errors: Sequence[QueueError]) -> None:
        """Store ingestion errors; each queue keeps its newest `QUEUE_ERRORS_KEPT`."""

    def list_queue_errors(self, queue_name: str, *, limit: int = 20) -> list[QueueError]:
        """The queue's newest errors, newest first."""


class WorkNotifier(Protocol):
    """Tells a coordinator when there may be work: a run was queued, or one ended."""

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True as soon as a run was queued or finished
        anywhere (or a notification may have been missed), False on timeout."""


@runtime_checkable
class Storage(JobStorage, RunStorage, StepStorage, EventStorage, ScheduleStorage, WorkerStorage,
              QueueStorage, AssetStorage, PartitionStorage, BackfillStorage, RetentionStorage,
              DeployStorage, Protocol):
    """Everything daggo persists. Driver exceptions surface as StorageError."""

    def reading(self, fn: Callable[[], T]) -> T:
        """`fn()`, with all its reads of this storage in one read transaction (fewer
        round trips, one view of the data); `fn` must only read: it may run again when
        the database fails in a way worth retrying."""

    def work_notifier(self) -> WorkNotifier | None:
        """A notifier of work queued or finished by any process on this database, or None
        when the backend cannot tell (coordinators then poll)."""

    def warm_up(self) -> None:
        """Do one-time work (e.g. compiling statements) so the first run is not slower.

        Called right after opening by processes about to execute runs; stores nothing.
        """

    def close(self) -> None:
        """Release connections; the storage is unusable afterwards."""

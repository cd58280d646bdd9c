"""The storage interface: narrow protocols per concern, combined into `Storage`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, runtime_checkable

from attrs import frozen

from daggo_core.storage.records import (
    ErrorInfo,
    Event,
    JobRecord,
    Run,
    RunStatus,
    ScheduleState,
    ScheduleTick,
    StepRecord,
    TickStatus,
)
from daggo_core.storage.ticks import TickClaim, TickDecider

__all__ = [
    "ClaimChooser",
    "EventStorage",
    "JobStorage",
    "RunStorage",
    "ScheduleStorage",
    "StepWrites",
    "Storage",
    "WorkNotifier",
]

@frozen
class StepWrites:
    """Step records to insert (`new`) or replace (`changed`), and events to append."""

    new: Sequence[StepRecord] = ()
    changed: Sequence[StepRecord] = ()
    events: Sequence[Event] = ()


#: `choose(queued, running) -> (ids to claim, {queued run id: why it waits})`.
ClaimChooser = Callable[[list[Run], list[Run]], tuple[Sequence[str], Mapping[str, str]]]


class JobStorage(Protocol):
    def sync_jobs(self, jobs: Sequence[JobRecord]) -> None:
        """Upsert `jobs` as the active set; jobs missing from it are marked inactive."""

    def get_job(self, name: str) -> JobRecord | None:
        """Return the job named `name` (active or not), or None."""

    def list_jobs(self, *, include_inactive: bool = False) -> list[JobRecord]:
        """Return jobs ordered by name."""


class RunStorage(Protocol):
    def add_run(self, run: Run, events: Sequence[Event] = ()) -> Run:
        """Insert a new run (and its first events) in one transaction; returns it."""

    def get_run(self, run_id: str) -> Run:
        """Return the run; raises RunNotFoundError if there is none."""

    def list_runs(
        self,
        *,
        job_name: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Run]:
        """Return runs newest first, optionally filtered by job and status."""

    def count_runs(
        self, *, job_name: str | None = None, statuses: Sequence[RunStatus] | None = None
    ) -> int:
        """Count runs matching the same filters as `list_runs`."""

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: ErrorInfo | None = None,
        events: Sequence[Event] = (),
        expected: Collection[RunStatus] | None = None,
        steps: StepWrites | None = None,
    ) -> Run:
        """Move a run to `status` and append `events`, in one transaction.

        Sets `started_at` on STARTED and `finished_at` on a terminal status. With
        `expected`, nothing changes unless the current status is one of them (the run is
        returned as it is). `steps` are stored first in the same transaction, whatever
        the status does (as `record_steps` would). Raises RunNotFoundError for an unknown
        run.
        """

    def start_run(self, run_id: str, events: Sequence[Event] = ()) -> Run | None:
        """Move a STARTING run to STARTED; None if it was not STARTING (do not execute it).

        Raises RunNotFoundError for an unknown run.
        """

    def claim_queued_runs(self, limit: int) -> list[Run]:
        """Atomically move up to `limit` oldest QUEUED runs to STARTING and return them.

        Safe with several claimers on one database: each run is returned to one only.
        """

    def claim_runs(self, choose: ClaimChooser, *, scan_limit: int = 500) -> list[Run]:
        """Claim the queued runs that `choose(queued, running)` picks, in one transaction.

        `queued` holds up to `scan_limit` oldest QUEUED runs, `running` every STARTING or
        STARTED run; runs left queued get the returned reason as `wait_reason`.
        """

    def heartbeat(self, run_id: str, worker_id: str) -> Run:
        """Record that `worker_id` is executing the run now; returns the run."""

    def request_cancel(self, run_id: str) -> Run:
        """End a QUEUED run as CANCELED, or flag an active one `cancel_requested`."""

    def find_stale_runs(self, cutoff: dt.datetime) -> list[Run]:
        """Active runs whose last heartbeat (or claim) is older than `cutoff`."""

    def record_step(self, step: StepRecord, events: Sequence[Event] = ()) -> None:
        """Insert or replace the state of one step and append `events`, in one transaction."""

    def record_steps(
        self,
        new: Sequence[StepRecord],
        changed: Sequence[StepRecord],
        events: Sequence[Event] = (),
    ) -> None:
        """Insert `new` steps, replace `changed` ones and append `events`, in one transaction.

        For the one writer that owns a run's steps and knows which ones it stored before.
        """

    def list_steps(self, run_id: str) -> list[StepRecord]:
        """Return the run's steps in the order they were first recorded."""


class EventStorage(Protocol):
    def add_events(self, events: Sequence[Event]) -> None:
        """Append events (log lines, transitions) to their runs' event logs."""

    def list_events(
        self,
        run_id: str,
        *,
        after_id: int = 0,
        limit: int = 1000,
        step_key: str | None = None,
    ) -> list[Event]:
        """Return the run's events with id > `after_id`, oldest first."""


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
    ) -> list[ScheduleTick]:
        """Ticks newest first (by scheduled time), optionally filtered."""

    def releasable_ticks(self) -> list[ScheduleTick]:
        """The oldest BUFFERED tick of each schedule with no run queued or running."""

    def delete_schedule_bookkeeping(self, keep: Collection[tuple[str, str]]) -> int:
        """Delete states and ticks of schedules not in `keep`; runs stay. Returns how many
        schedules were cleared."""

    def prune_ticks(self, before: dt.datetime) -> int:
        """Delete ticks scheduled before `before`, except BUFFERED ones; returns the count."""


@runtime_checkable
class Storage(JobStorage, RunStorage, EventStorage, ScheduleStorage, Protocol):
    """Everything daggo persists. Driver exceptions surface as StorageError."""

    def warm_up(self) -> None:
        """Do one-time work (e.g. compiling statements) so the first run is not slower.

        Called right after opening by processes about to execute runs; stores nothing.
        """

    def close(self) -> None:
        """Release connections; the storage is unusable afterwards."""


@runtime_checkable
class WorkNotifier(Protocol):
    """Optional: a storage that can tell a coordinator when there may be work.

    Backends with server push (e.g. LISTEN/NOTIFY) implement it; coordinators on a
    storage without it poll.
    """

    def wait_for_work(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True as soon as a run was queued or finished
        anywhere (or a notification may have been missed), False on timeout."""

"""Schedules as users see them: listing, the Enabled toggle and tick history.

Works from the job snapshots synced to storage, so the CLI and the admin need not import
the app's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from attrs import frozen

from daggo_core.definitions.schedules import CatchUp, Overlap
from daggo_core.definitions.snapshot import ScheduleSnapshot
from daggo_core.errors import InvalidArgumentError, ScheduleNotFoundError
from daggo_core.scheduling.cron import CronClock
from daggo_core.services.context import ServiceContext, unknown_job
from daggo_core.services.cursors import decode_cursor, encode_cursor
from daggo_core.services.paging import check_limit, page_limit
from daggo_core.storage.base import Storage, TickPosition
from daggo_core.storage.records import (
    JobRecord,
    ScheduleState,
    ScheduleTick,
    TickStatus,
    utcnow,
)

__all__ = [
    "ScheduleSummary",
    "SchedulesGetManyRequest",
    "SchedulesGetManyResponse",
    "SchedulesService",
    "SchedulesSetEnabledRequest",
    "SchedulesSetEnabledResponse",
    "SchedulesTicksRequest",
    "SchedulesTicksResponse",
    "TickInfo",
    "TickStatus",
    "schedule_summaries",
]

#: Page sizes of schedule lists and of tick histories: the default and the maximum.
SCHEDULES_PAGE, SCHEDULES_PAGE_MAX = 100, 1000
TICKS_PAGE, TICKS_PAGE_MAX = 50, 1000


@frozen(kw_only=True)
class ScheduleSummary:
    """A schedule with its effective Enabled state and where its ticks stand."""

    job_name: str
    key: str
    cron: str
    timezone: str
    enabled: bool
    enabled_in_code: bool
    enabled_override: bool | None
    overlap: Overlap
    catch_up: CatchUp
    pause_after_failures: int | None
    last_tick_at: dt.datetime | None
    next_tick_at: dt.datetime | None


@frozen(kw_only=True)
class TickInfo:
    """One tick of a schedule: what it did, and why when it did not launch."""

    id: int
    job_name: str
    schedule_key: str
    scheduled_for: dt.datetime
    status: TickStatus
    run_id: str | None
    reason: str | None

    @classmethod
    def of(cls, tick: ScheduleTick) -> TickInfo:
        return cls(id=tick.id or 0, job_name=tick.job_name, schedule_key=tick.schedule_key,
                   scheduled_for=tick.scheduled_for, status=tick.status, run_id=tick.run_id,
                   reason=tick.reason)


@frozen(kw_only=True)
class SchedulesGetManyRequest:
    """A page of the schedules of the active jobs, or of `job`, by job and key;
    `cursor` is the previous page's `next_cursor`."""

    job: str | None = None
    limit: int = page_limit(SCHEDULES_PAGE, SCHEDULES_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class SchedulesGetManyResponse:
    """A page of schedules; `next_cursor` is None on the last page."""

    schedules: tuple[ScheduleSummary, ...]
    next_cursor: str | None


@frozen(kw_only=True)
class SchedulesSetEnabledRequest:
    """Turn schedule `key` of `job` (every schedule of the job without `key`) on or off;
    `enabled` None returns it to the default declared in code."""

    job: str
    key: str | None = None
    enabled: bool | None = None


@frozen(kw_only=True)
class SchedulesSetEnabledResponse:
    schedules: tuple[ScheduleSummary, ...]


@frozen(kw_only=True)
class SchedulesTicksRequest:
    """A page of a job's ticks (of schedule `key`), newest first."""

    job: str
    key: str | None = None
    limit: int = page_limit(TICKS_PAGE, TICKS_PAGE_MAX)
    cursor: str | None = None


@frozen(kw_only=True)
class SchedulesTicksResponse:
    ticks: tuple[TickInfo, ...]
    next_cursor: str | None


class SchedulesService:
    """Schedules of the synced jobs, their toggle and their ticks."""

    def __init__(self, context: ServiceContext) -> None:
        self.storage = context.storage

    def get_many(self, request: SchedulesGetManyRequest) -> SchedulesGetManyResponse:
        """Schedules ordered by job and key (keyset pages over the jobs, read a page's
        worth at a time)."""
        limit = check_limit(request)
        after = _schedules_position(request)
        found: list[ScheduleSummary] = []
        for records in self._job_pages(request.job, after, limit + 1):
            found += [s for s in _by_job_order(schedule_summaries(self.storage, records),
                                               records)
                      if after is None or s.job_name != after[0] or s.key > after[1]]
            if len(found) > limit:
                break
        page = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor("schedules", page[-1].job_name, page[-1].key)
        return SchedulesGetManyResponse(schedules=tuple(page), next_cursor=next_cursor)

    def _job_pages(self, job: str | None, after: tuple[str, str] | None,
                   size: int) -> Iterator[list[JobRecord]]:
        """The jobs whose schedules may come after `after`: `job` alone, or the job of
        `after` (if still active) then the next active jobs, `size` at a time."""
        if job is not None:
            yield [_active_job(self.storage, job)]
            return
        if after is not None:
            current = self.storage.get_job(after[0])
            if current is not None and current.active:
                yield [current]
        name = after[0] if after is not None else None
        while True:
            records = self.storage.list_jobs(after=name, limit=size)
            if records:
                yield records
            if len(records) < size:
                return
            name = records[-1].name

    def set_enabled(self, request: SchedulesSetEnabledRequest) -> SchedulesSetEnabledResponse:
        """Store the Enabled override; every scheduler replica sees it on its next pass."""
        record = _active_job(self.storage, request.job)
        chosen = _matching(record, request.key)
        for schedule in chosen:
            self.storage.set_schedule_enabled(record.name, schedule.key, request.enabled)
        keys = {s.key for s in chosen}
        summaries = schedule_summaries(self.storage, [record])
        return SchedulesSetEnabledResponse(
            schedules=tuple(s for s in summaries if s.key in keys))

    def ticks(self, request: SchedulesTicksRequest) -> SchedulesTicksResponse:
        """Ticks newest first, also of schedules since removed from code."""
        limit = check_limit(request)
        record = self.storage.get_job(request.job)
        if record is None:
            raise unknown_job(self.storage, request.job)
        if request.key is not None:
            _matching(record, request.key)
        after = None
        if request.cursor is not None:
            scheduled_for, tick_id = decode_cursor("ticks", request.cursor, 2)
            try:
                after = TickPosition(dt.datetime.fromisoformat(scheduled_for), int(tick_id))
            except (TypeError, ValueError):
                raise InvalidArgumentError("cursor: not a cursor of this list") from None
        found = self.storage.list_ticks(record.name, request.key, limit=limit + 1, after=after)
        page = found[:limit]
        next_cursor = None
        if len(found) > limit:
            last = page[-1]
            next_cursor = encode_cursor("ticks", last.scheduled_for.isoformat(), last.id)
        return SchedulesTicksResponse(ticks=tuple(map(TickInfo.of, page)),
                                      next_cursor=next_cursor)


def schedule_summaries(storage: Storage, records: list[JobRecord], *,
                       now: dt.datetime | None = None) -> tuple[ScheduleSummary, ...]:
    """The schedules of `records` with their stored Enabled state, by job and key."""
    now = now or utcnow()
    states = {(s.job_name, s.schedule_key): s for s in storage.list_schedule_states()}
    summaries = [
        _summary(record.name, schedule, states.get((record.name, schedule.key)), now)
        for record in records for schedule in record.snapshot.schedules
    ]
    return tuple(sorted(summaries, key=lambda s: (s.job_name, s.key)))


def _schedules_position(request: SchedulesGetManyRequest) -> tuple[str, str] | None:
    """(job, key) of the last schedule of the previous page, from the request's cursor."""
    if request.cursor is None:
        return None
    job, key = decode_cursor("schedules", request.cursor, 2)
    if not (isinstance(job, str) and isinstance(key, str)):
        raise InvalidArgumentError("cursor: not a cursor of this list")
    if request.job is not None and job != request.job:
        raise InvalidArgumentError(f"cursor: a cursor of job {job!r}'s schedules, not of "
                                   f"{request.job!r}'s; start again without a cursor")
    return job, key


def _by_job_order(summaries: tuple[ScheduleSummary, ...],
                  records: list[JobRecord]) -> list[ScheduleSummary]:
    """`summaries` in the order of `records` (the storage's order of job names), by key
    within a job."""
    position = {record.name: i for i, record in enumerate(records)}
    return sorted(summaries, key=lambda s: (position[s.job_name], s.key))


def _active_job(storage: Storage, name: str) -> JobRecord:
    record = storage.get_job(name)
    if record is None or not record.active:
        raise unknown_job(storage, name)
    return record


def _matching(record: JobRecord, key: str | None) -> list[ScheduleSnapshot]:
    schedules = list(record.snapshot.schedules)
    if not schedules:
        raise ScheduleNotFoundError(f"job {record.name!r} has no schedules")
    if key is None:
        return schedules
    chosen = [s for s in schedules if s.key == key]
    if not chosen:
        known = ", ".join(s.key for s in schedules)
        raise ScheduleNotFoundError(
            f"job {record.name!r} has no schedule {key!r} (its schedules: {known})")
    return chosen




def _next_tick(schedule: ScheduleSnapshot, after: dt.datetime) -> dt.datetime | None:
    try:
        return CronClock(schedule.cron, schedule.timezone).next_after(after)
    except ValueError:  # croniter's errors: e.g. stored by a version that accepted it
        return None


def _summary(job: str, schedule: ScheduleSnapshot, state: ScheduleState | None,
             now: dt.datetime) -> ScheduleSummary:
    override = state.enabled_override if state else None
    last = state.last_tick_at if state else None
    enabled = schedule.enabled if override is None else override
    next_tick = _next_tick(schedule, max(last, now) if last else now) if enabled else None
    return ScheduleSummary(
        job_name=job, key=schedule.key, cron=schedule.cron, timezone=schedule.timezone,
        enabled=enabled, enabled_in_code=schedule.enabled, enabled_override=override,
        overlap=schedule.overlap, catch_up=schedule.catch_up,
        pause_after_failures=schedule.pause_after_failures, last_tick_at=last,
        next_tick_at=next_tick,
    )

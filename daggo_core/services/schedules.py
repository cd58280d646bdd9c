"""Schedules as users see them: listing, the Enabled toggle, tick history, bookkeeping sync.

Works from the job metadata synced to storage, so the CLI (and later the admin) need not
import the app's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from daggo_core.definitions.definitions import Definitions
from daggo_core.errors import DaggoError, JobNotFoundError
from daggo_core.scheduling.cron import CronClock
from daggo_core.scheduling.scheduler import code_schedules
from daggo_core.storage.base import Storage
from daggo_core.storage.records import ScheduleState, ScheduleTick, utcnow

__all__ = [
    "ScheduleNotFoundError",
    "ScheduleView",
    "list_schedule_ticks",
    "list_schedules",
    "set_schedule_enabled",
    "sync_schedules",
]


class ScheduleNotFoundError(DaggoError):
    """No schedule with that key on that job."""


@frozen(kw_only=True)
class ScheduleView:
    """A schedule with its effective Enabled state and where its ticks stand."""

    job_name: str
    key: str
    cron: str
    timezone: str
    enabled: bool
    enabled_in_code: bool
    enabled_override: bool | None
    overlap: str
    catch_up: str
    pause_after_failures: int | None
    last_tick_at: dt.datetime | None
    next_tick_at: dt.datetime | None


def sync_schedules(storage: Storage, definitions: Definitions) -> int:
    """Clear the bookkeeping of schedules no longer in code (their runs stay); returns how
    many were cleared."""
    return storage.delete_schedule_bookkeeping(code_schedules(definitions.jobs_by_name))


def list_schedules(storage: Storage, job_name: str | None = None, *,
                   now: dt.datetime | None = None) -> list[ScheduleView]:
    """Schedules of the active jobs (or of `job_name`), ordered by job and key."""
    now = now or utcnow()
    states = {(s.job_name, s.schedule_key): s for s in storage.list_schedule_states()}
    views = []
    for job, snapshot in _snapshots(storage, job_name):
        state = states.get((job, snapshot["key"]))
        views.append(_view(job, snapshot, state, now))
    return sorted(views, key=lambda view: (view.job_name, view.key))


def set_schedule_enabled(storage: Storage, job_name: str, key: str | None,
                         enabled: bool | None) -> list[ScheduleView]:
    """Turn a job's schedule (every schedule of the job when `key` is None) on or off;
    None returns it to the default declared in code. Every scheduler replica sees the
    change on its next pass."""
    snapshots = _matching(storage, job_name, key)
    for snapshot in snapshots:
        storage.set_schedule_enabled(job_name, snapshot["key"], enabled)
    keys = {s["key"] for s in snapshots}
    return [view for view in list_schedules(storage, job_name) if view.key in keys]


def list_schedule_ticks(storage: Storage, job_name: str, key: str | None = None, *,
                        limit: int = 50) -> list[ScheduleTick]:
    """A job's ticks (of one schedule with `key`), newest first."""
    if key is not None:
        _matching(storage, job_name, key, include_removed=True)
    elif storage.get_job(job_name) is None:
        raise JobNotFoundError(_no_job(storage, job_name))
    return storage.list_ticks(job_name, key, limit=limit)


def _snapshots(storage: Storage, job_name: str | None) -> list[tuple[str, dict[str, Any]]]:
    if job_name is not None:
        record = storage.get_job(job_name)
        if record is None or not record.active:
            raise JobNotFoundError(_no_job(storage, job_name))
        records = [record]
    else:
        records = storage.list_jobs()
    return [(r.name, s) for r in records for s in r.snapshot.get("schedules", [])]


def _matching(storage: Storage, job_name: str, key: str | None, *,
              include_removed: bool = False) -> list[dict[str, Any]]:
    record = storage.get_job(job_name)
    if record is None or not (record.active or include_removed):
        raise JobNotFoundError(_no_job(storage, job_name))
    snapshots = record.snapshot.get("schedules", [])
    if not snapshots:
        raise ScheduleNotFoundError(f"job {job_name!r} has no schedules")
    if key is None:
        return list(snapshots)
    chosen = [s for s in snapshots if s["key"] == key]
    if not chosen:
        known = ", ".join(s["key"] for s in snapshots)
        raise ScheduleNotFoundError(
            f"job {job_name!r} has no schedule {key!r} (its schedules: {known})")
    return chosen


def _no_job(storage: Storage, job_name: str) -> str:
    known = ", ".join(j.name for j in storage.list_jobs()) or "none"
    return f"no job named {job_name!r} (known jobs: {known})"


def _next_tick(snapshot: Mapping[str, Any], after: dt.datetime) -> dt.datetime | None:
    try:
        return CronClock(snapshot["cron"], snapshot["timezone"]).next_after(after)
    except ValueError:  # croniter's errors: e.g. stored by a version that accepted it
        return None


def _view(job: str, snapshot: Mapping[str, Any], state: ScheduleState | None,
          now: dt.datetime) -> ScheduleView:
    override = state.enabled_override if state else None
    last = state.last_tick_at if state else None
    enabled = snapshot["enabled"] if override is None else override
    next_tick = _next_tick(snapshot, max(last, now) if last else now) if enabled else None
    return ScheduleView(
        job_name=job, key=snapshot["key"], cron=snapshot["cron"],
        timezone=snapshot["timezone"], enabled=enabled, enabled_in_code=snapshot["enabled"],
        enabled_override=override, overlap=snapshot.get("overlap", "skip"),
        catch_up=snapshot.get("catch_up", "latest"),
        pause_after_failures=snapshot.get("pause_after_failures"),
        last_tick_at=last, next_tick_at=next_tick,
    )

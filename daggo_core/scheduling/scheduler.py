"""The scheduler: turns due cron ticks of the jobs' schedules into runs.

Each pass reads every schedule's cursor (`last_tick_at`), computes the ticks due since
(catch-up policy), prepares their runs and hands them to `Storage.claim_ticks`, which
claims each (job, key, time) once across all replicas and stores what the tick policy
decides. The clock is injectable: tests drive passes with `tick(now)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Mapping

from daggo_core.definitions.jobs import JobDefinition
from daggo_core.definitions.schedules import CatchUp, ScheduleDefinition
from daggo_core.scheduling.cron import CronClock, UpcomingTicks
from daggo_core.scheduling.tick_policy import decide_ticks
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run, ScheduleTick, TickStatus, utcnow
from daggo_core.storage.ticks import ScheduleId, TickClaim

__all__ = ["Scheduler", "code_schedules"]

logger = logging.getLogger("daggo.scheduler")

#: How often old ticks are pruned (when a tick history limit is set).
_PRUNE_EVERY = dt.timedelta(hours=1)


def code_schedules(jobs: Mapping[str, JobDefinition]) -> dict[ScheduleId, ScheduleDefinition]:
    """Every schedule declared on `jobs`, by (job name, schedule key)."""
    return {(job.name, schedule.effective_key): schedule
            for job in jobs.values() for schedule in job.schedules}


class Scheduler:
    """Launches the runs of due schedule ticks; safe with several replicas on one database.

    `clock` returns the current aware UTC time; `on_launch` is called after a pass
    queued runs (e.g. to wake this process's coordinator); `on_fired(tick, lag)` for
    each due tick a pass stored, with how late it fired in seconds (the pass's time
    minus the tick's; waiting ticks released later are not counted); with
    `tick_history`, ticks older than that are pruned once an hour.
    """

    def __init__(
        self,
        storage: Storage,
        jobs: Mapping[str, JobDefinition],
        *,
        tick_interval: float = 1.0,
        clock: Callable[[], dt.datetime] = utcnow,
        on_launch: Callable[[], None] | None = None,
        tick_history: dt.timedelta | None = None,
        on_fired: Callable[[ScheduleTick, float], None] | None = None,
    ) -> None:
        self.storage = storage
        self.jobs = jobs
        self.tick_interval = tick_interval
        self.clock = clock
        self.on_launch = on_launch
        self.on_fired = on_fired
        self.tick_history = tick_history
        self.schedules = code_schedules(jobs)
        self._upcoming = {sid: UpcomingTicks(CronClock(s.cron, s.timezone))
                          for sid, s in self.schedules.items()}
        self._next: dict[ScheduleId, dt.datetime] = {}
        self._decide = functools.partial(decide_ticks, schedules=self.schedules)
        self._pruned_at: dt.datetime | None = None

    def tick(self, now: dt.datetime | None = None) -> list[ScheduleTick]:
        """One pass at `now` (default: the clock); returns the ticks stored or changed.

        A schedule seen for the first time starts its bookkeeping at `now`: ticks before
        it are not launched.
        """
        now = now or self.clock()
        states = {(s.job_name, s.schedule_key): s for s in self.storage.list_schedule_states()}
        starting = [sid for sid in self.schedules
                    if sid not in states or states[sid].last_tick_at is None]
        if starting:
            self.storage.ensure_schedule_states(starting, now)
            for sid in starting:
                with self._isolated(sid):
                    self._next[sid] = self._upcoming[sid].first_after(now)
        claims: list[TickClaim] = []
        for sid, schedule in self.schedules.items():
            cursor = states[sid].last_tick_at if sid in states else None
            if cursor is not None:
                with self._isolated(sid):
                    claims.extend(self._due_claims(sid, schedule, cursor, now))
        due = {(c.job_name, c.schedule_key, c.scheduled_for) for c in claims}
        claims.extend(self._release_claims())
        ticks = self.storage.claim_ticks(claims, self._decide) if claims else []
        for tick in ticks:
            if self.on_fired is not None and (
                    tick.job_name, tick.schedule_key, tick.scheduled_for) in due:
                try:
                    self.on_fired(tick, (now - tick.scheduled_for).total_seconds())
                except Exception:  # an observer never fails the pass
                    logger.exception("on_fired failed for a tick of %s/%s", tick.job_name,
                                     tick.schedule_key)
            routine = tick.status in (TickStatus.SKIPPED, TickStatus.BUFFERED)
            logger.log(logging.DEBUG if routine else logging.INFO,
                       "schedule %s/%s tick %s: %s%s", tick.job_name, tick.schedule_key,
                       tick.scheduled_for.isoformat(), tick.status.value,
                       f" (run {tick.run_id})" if tick.run_id else
                       f" ({tick.reason})" if tick.reason else "")
        if self.on_launch is not None and any(t.status is TickStatus.LAUNCHED for t in ticks):
            self.on_launch()
        self._prune(now)
        return ticks

    def seconds_until_due(self, now: dt.datetime) -> float:
        """How long a loop may sleep before a known tick is due (at most `tick_interval`)."""
        if not self._next:
            return self.tick_interval
        soonest = min(self._next.values())
        return max(0.0, min(self.tick_interval, (soonest - now).total_seconds()))

    async def run_forever(self) -> None:
        """Pass after pass until cancelled; storage errors are logged and retried."""
        while True:
            try:
                await asyncio.to_thread(self.tick)
                delay = self.seconds_until_due(self.clock())
            except Exception:  # e.g. the database is unreachable: retry at the normal pace
                logger.exception("scheduler pass failed; retrying")
                delay = self.tick_interval
            await asyncio.sleep(delay + 0.001)

    @contextlib.contextmanager
    def _isolated(self, sid: ScheduleId) -> Iterator[None]:
        """Log what goes wrong computing one schedule's ticks; the others carry on."""
        try:
            yield
        except Exception:
            self._next.pop(sid, None)  # so that it does not keep the loop awake
            logger.exception("schedule %s/%s: computing its ticks failed", *sid)

    def _due_claims(self, sid: ScheduleId, schedule: ScheduleDefinition,
                    cursor: dt.datetime, now: dt.datetime) -> list[TickClaim]:
        upcoming = self._upcoming[sid]
        start, note = cursor, None
        if schedule.catch_up is CatchUp.ALL and cursor < now - schedule.catch_up_window:
            start = now - schedule.catch_up_window
            note = f"ticks before {start.isoformat()} are outside the catch-up window"
        due = upcoming.due(start, now)
        self._next[sid] = upcoming.first_after(due[-1] if due else start)
        if schedule.catch_up is CatchUp.LATEST and len(due) > 1:
            note = f"{len(due) - 1} earlier missed tick(s) not launched (catch_up=latest)"
            due = due[-1:]
        return [self._claim(sid, schedule, when, note=note if i == 0 else None)
                for i, when in enumerate(due)]

    def _release_claims(self) -> list[TickClaim]:
        """Claims for the waiting ticks whose schedule has nothing running any more."""
        return [
            self._claim((t.job_name, t.schedule_key), self.schedules[(t.job_name, t.schedule_key)],
                        t.scheduled_for, buffered_id=t.id)
            for t in self.storage.releasable_ticks()
            if (t.job_name, t.schedule_key) in self.schedules
        ]

    def _claim(self, sid: ScheduleId, schedule: ScheduleDefinition, when: dt.datetime, *,
               note: str | None = None, buffered_id: int | None = None) -> TickClaim:
        job_name, key = sid
        run, failure = None, None
        try:
            params = self.jobs[job_name].params_dict(schedule.params_for(when))
            run = Run(job_name=job_name, params=params, tags=dict(schedule.tags),
                      schedule_key=key, scheduled_for=when)
        except Exception as exc:
            failure = f"could not prepare the run: {type(exc).__name__}: {exc}"
        return TickClaim(job_name=job_name, schedule_key=key, scheduled_for=when, run=run,
                         failure=failure, buffered_id=buffered_id,
                         pause_after=schedule.pause_after_failures, note=note)

    def _prune(self, now: dt.datetime) -> None:
        if self.tick_history is None:
            return
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_EVERY:
            return
        self._pruned_at = now
        pruned = self.storage.prune_ticks(now - self.tick_history)
        if pruned:
            logger.info("pruned %d tick(s) older than %s", pruned, self.tick_history)

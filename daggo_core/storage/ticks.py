"""What a tick claim transaction reads and writes: claims, situations and decisions.

The scheduler proposes `TickClaim`s; storage drops ticks already claimed, reads each
schedule's `ScheduleSituation` inside the same transaction and stores the
`TickDecision`s a pure decider returns (`daggo_core.scheduling.tick_policy`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from attrs import frozen

from daggo_core.storage.records import Run, RunStatus, ScheduleTick

__all__ = ["ScheduleId", "ScheduleSituation", "TickClaim", "TickDecider", "TickDecision"]

#: `(job name, schedule key)`: how a schedule is addressed in storage.
ScheduleId = tuple[str, str]


@frozen(kw_only=True)
class TickClaim:
    """A tick the scheduler wants to act on.

    `run` is the run to launch for it, or None with `failure` saying why none could be
    prepared. `buffered_id` names a BUFFERED tick being released (it is already claimed).
    `pause_after` asks for the schedule's recent run outcomes (pause-on-failure); `note`
    is added to the tick's reason (e.g. what catch-up left out).
    """

    job_name: str
    schedule_key: str
    scheduled_for: dt.datetime
    run: Run | None = None
    failure: str | None = None
    buffered_id: int | None = None
    pause_after: int | None = None
    note: str | None = None

    @property
    def schedule_id(self) -> ScheduleId:
        return (self.job_name, self.schedule_key)


@frozen(kw_only=True)
class ScheduleSituation:
    """A schedule's state as committed when its ticks are decided.

    `active_run_ids`: its runs still QUEUED, STARTING or STARTED, oldest first;
    `buffered_ids`: its BUFFERED ticks, oldest first; `recent_outcomes`: statuses of its
    latest SUCCESS/FAILURE runs since the override last changed, newest first (only when
    a claim asked for them).
    """

    enabled_override: bool | None = None
    active_run_ids: tuple[str, ...] = ()
    buffered_ids: tuple[int, ...] = ()
    recent_outcomes: tuple[RunStatus, ...] = ()


@frozen(kw_only=True)
class TickDecision:
    """What to store for one claim: the tick, and possibly a run, cancels or a pause.

    With `release_id`, the BUFFERED tick of that id is updated (only if still BUFFERED)
    instead of a new tick being inserted.
    """

    tick: ScheduleTick
    run: Run | None = None
    release_id: int | None = None
    cancel_run_ids: tuple[str, ...] = ()
    pause: bool = False


#: `decide(unclaimed claims, situation of each schedule) -> decisions`, pure.
TickDecider = Callable[
    [Sequence[TickClaim], Mapping[ScheduleId, ScheduleSituation]], Sequence[TickDecision]
]

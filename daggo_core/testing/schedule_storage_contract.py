"""The scheduler-bookkeeping part of the storage contract (mixed into StorageContract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from daggo_core.storage.base import RunFilter, Storage, TickPosition
from daggo_core.storage.records import Run, RunStatus, RunTrigger, ScheduleTick, TickStatus
from daggo_core.storage.ticks import (
    ScheduleId,
    ScheduleSituation,
    TickClaim,
    TickDecider,
    TickDecision,
)

__all__ = ["ScheduleStorageContract"]

T0 = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
JOB, KEY = "report", "every_minute"


def minute(m: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=m)


def claim(m: int, *, buffered_id: int | None = None, key: str = KEY) -> TickClaim:
    """A claim for minute `m` of schedule `key`, with a run to launch."""
    run = Run(job_name=JOB, schedule_key=key, scheduled_for=minute(m))
    return TickClaim(job_name=JOB, schedule_key=key, scheduled_for=minute(m), run=run,
                     buffered_id=buffered_id)


def decide_as(status: TickStatus) -> TickDecider:
    """A decider giving every claim `status` (a run with LAUNCHED)."""

    def decide(claims: Sequence[TickClaim],
               situations: Mapping[ScheduleId, ScheduleSituation]) -> list[TickDecision]:
        launch = status is TickStatus.LAUNCHED
        return [TickDecision(
            tick=ScheduleTick(job_name=c.job_name, schedule_key=c.schedule_key,
                              scheduled_for=c.scheduled_for, status=status,
                              run_id=c.run.id if launch and c.run else None),
            run=c.run if launch else None, release_id=c.buffered_id)
            for c in claims]

    return decide


class ScheduleStorageContract:
    """How a storage keeps scheduler state and tick claims."""

    def test_ensure_schedule_states_starts_missing_schedules_only(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        storage.ensure_schedule_states([(JOB, KEY), (JOB, "hourly")], minute(5))
        cursors = {s.schedule_key: s.last_tick_at for s in storage.list_schedule_states()}
        assert cursors == {KEY: minute(0), "hourly": minute(5)}

    def test_a_toggle_made_before_bookkeeping_started_keeps_its_override(
        self, storage: Storage
    ) -> None:
        state = storage.set_schedule_enabled(JOB, KEY, False)
        assert (state.enabled_override, state.last_tick_at) == (False, None)
        storage.ensure_schedule_states([(JOB, KEY)], minute(3))
        [state] = storage.list_schedule_states()
        assert (state.enabled_override, state.last_tick_at) == (False, minute(3))
        assert storage.set_schedule_enabled(JOB, KEY, None).enabled_override is None

    def test_claim_ticks_launches_once_and_moves_the_cursor(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        [tick] = storage.claim_ticks([claim(1)], decide_as(TickStatus.LAUNCHED))
        assert tick.id is not None and tick.status is TickStatus.LAUNCHED
        run = storage.get_run(tick.run_id or "")
        assert (run.status, run.schedule_key, run.scheduled_for) == (RunStatus.QUEUED, KEY,
                                                                     minute(1))
        assert storage.claim_ticks([claim(1)], decide_as(TickStatus.LAUNCHED)) == []
        assert storage.claim_ticks([claim(0)], decide_as(TickStatus.LAUNCHED)) == []
        assert storage.count_runs() == 1
        [state] = storage.list_schedule_states()
        assert state.last_tick_at == minute(1)

    def test_list_ticks_newest_first_with_filters(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY), (JOB, "other")], minute(0))
        storage.claim_ticks([claim(1), claim(2), claim(3, key="other")],
                            decide_as(TickStatus.SKIPPED))
        assert [t.scheduled_for for t in storage.list_ticks(JOB, KEY)] == [minute(2), minute(1)]
        assert [t.schedule_key for t in storage.list_ticks(JOB, limit=1)] == ["other"]
        assert storage.list_ticks(JOB, statuses=[TickStatus.LAUNCHED]) == []

    def test_list_ticks_pages_by_keyset(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        storage.claim_ticks([claim(m) for m in range(1, 6)], decide_as(TickStatus.SKIPPED))
        first = storage.list_ticks(JOB, KEY, limit=2)
        last = first[-1]
        assert last.id is not None
        rest = storage.list_ticks(JOB, KEY, after=TickPosition(last.scheduled_for, last.id))
        assert [t.scheduled_for for t in first + rest] == [minute(m) for m in range(5, 0, -1)]

    def test_runs_launched_by_ticks_are_found_by_trigger_and_tag(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        run = Run(job_name=JOB, schedule_key=KEY, scheduled_for=minute(1), tags={"team": "x"})
        tick_claim = TickClaim(job_name=JOB, schedule_key=KEY, scheduled_for=minute(1), run=run)
        storage.claim_ticks([tick_claim], decide_as(TickStatus.LAUNCHED))
        found = storage.list_runs(RunFilter(triggers=(RunTrigger.SCHEDULE,), tags={"team": "x"}))
        assert [r.id for r in found] == [run.id]

    def test_releasable_ticks_are_the_oldest_waiting_one_of_idle_schedules(
        self, storage: Storage
    ) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        [launched] = storage.claim_ticks([claim(1)], decide_as(TickStatus.LAUNCHED))
        storage.claim_ticks([claim(2), claim(3)], decide_as(TickStatus.BUFFERED))
        assert storage.releasable_ticks() == []  # the run of minute 1 is still queued
        storage.set_run_status(launched.run_id or "", RunStatus.SUCCESS)
        [oldest] = storage.releasable_ticks()
        assert oldest.scheduled_for == minute(2)
        [released] = storage.claim_ticks([claim(2, buffered_id=oldest.id)],
                                         decide_as(TickStatus.LAUNCHED))
        assert (released.id, released.status) == (oldest.id, TickStatus.LAUNCHED)
        assert storage.releasable_ticks() == []  # minute 2's run now runs

    def test_removed_schedules_lose_their_bookkeeping_but_not_their_runs(
        self, storage: Storage
    ) -> None:
        storage.ensure_schedule_states([(JOB, KEY), (JOB, "kept")], minute(0))
        [tick] = storage.claim_ticks([claim(1)], decide_as(TickStatus.LAUNCHED))
        assert storage.delete_schedule_bookkeeping([(JOB, "kept")]) == 1
        assert [s.schedule_key for s in storage.list_schedule_states()] == ["kept"]
        assert storage.list_ticks(JOB) == []
        assert storage.get_run(tick.run_id or "").schedule_key == KEY

    def test_prune_ticks_keeps_waiting_ones(self, storage: Storage) -> None:
        storage.ensure_schedule_states([(JOB, KEY)], minute(0))
        storage.claim_ticks([claim(1)], decide_as(TickStatus.SKIPPED))
        storage.claim_ticks([claim(2)], decide_as(TickStatus.BUFFERED))
        assert storage.prune_ticks(minute(10)) == 1
        assert [t.status for t in storage.list_ticks(JOB)] == [TickStatus.BUFFERED]

"""The scheduler, driven by a controllable clock, on every storage backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from attrs import frozen

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.definitions.jobs import JobDefinition
from daggo_core.errors import DefinitionError
from daggo_core.scheduling.scheduler import Scheduler
from daggo_core.services.schedules import (
    SchedulesGetManyRequest,
    SchedulesSetEnabledRequest,
    SchedulesTicksRequest,
    ScheduleSummary,
    TickInfo,
)
from daggo_core.services.sync import job_records, sync_definitions
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import Run, RunStatus, ScheduleTick, TickStatus
from daggo_core.testing.clock import ManualClock
from daggo_core.testing.services import services_over

T0 = dt.datetime(2026, 6, 1, 10, 0, 30, tzinfo=dt.UTC)


@frozen
class Done:
    ok: bool


@frozen
class Params:
    day: str = ""


def work(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


def make_job(name: str = "report", params_type: type | None = None,
             **schedule: Any) -> JobDefinition:
    schedule.setdefault("cron", "* * * * *")
    return (dag.job(name, params=params_type).add(dag.op("work", work)).schedule(**schedule)
            .build())


def scheduler_for(storage: Storage, *jobs: JobDefinition, clock: ManualClock) -> Scheduler:
    definitions = Definitions(jobs=list(jobs))
    sync_definitions(storage, definitions)
    return Scheduler(storage, definitions.jobs_by_name, clock=clock)


def list_schedules(storage: Storage, job: str | None = None) -> tuple[ScheduleSummary, ...]:
    return services_over(storage).schedules.get_many(SchedulesGetManyRequest(job=job)).schedules


def set_schedule_enabled(storage: Storage, job: str, key: str | None,
                         enabled: bool | None) -> tuple[ScheduleSummary, ...]:
    request = SchedulesSetEnabledRequest(job=job, key=key, enabled=enabled)
    return services_over(storage).schedules.set_enabled(request).schedules


def list_schedule_ticks(storage: Storage, job: str, key: str | None = None
                        ) -> tuple[TickInfo, ...]:
    request = SchedulesTicksRequest(job=job, key=key)
    return services_over(storage).schedules.ticks(request).ticks


def minute(m: int, *, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 6, 1, hour, m, tzinfo=dt.UTC)


def runs_of(storage: Storage, job: str = "report") -> list[Run]:
    runs = storage.list_runs(RunFilter(job_name=job), limit=1000)
    return sorted(runs, key=lambda r: r.created_at)


def statuses(ticks: list[ScheduleTick]) -> list[tuple[dt.datetime, TickStatus]]:
    return [(t.scheduled_for, t.status) for t in ticks]


def finish(storage: Storage, run: Run, status: RunStatus = RunStatus.SUCCESS) -> None:
    storage.set_run_status(run.id, status)


# -- launching --------------------------------------------------------------------------


def test_first_pass_starts_bookkeeping_and_launches_nothing_from_the_past(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(), clock=clock)
    assert scheduler.tick() == []
    assert runs_of(storage) == []
    [state] = storage.list_schedule_states()
    assert (state.job_name, state.schedule_key, state.last_tick_at) == ("report", "every_minute",
                                                                        T0)


def test_a_due_tick_launches_one_run_recording_the_schedule_and_tick_time(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(params_type=Params, params={"day": "x"}),
                              clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    [tick] = scheduler.tick()
    [run] = runs_of(storage)
    assert (tick.status, tick.scheduled_for, tick.run_id) == (TickStatus.LAUNCHED, minute(1),
                                                             run.id)
    assert (run.status, run.schedule_key, run.scheduled_for) == (RunStatus.QUEUED,
                                                                 "every_minute", minute(1))
    assert run.params == {"day": "x"}
    assert "schedule 'every_minute'" in storage.list_events(run.id)[0].message


def test_the_same_tick_is_launched_once_however_often_the_scheduler_passes(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(overlap="allow"), clock=clock)
    scheduler.tick()
    for seconds in (30, 1, 10, 18):
        clock.advance(seconds=seconds)
        scheduler.tick()
    assert [r.scheduled_for for r in runs_of(storage)] == [minute(1)]
    clock.advance(seconds=31)  # 10:02:00
    scheduler.tick()
    assert [r.scheduled_for for r in runs_of(storage)] == [minute(1), minute(2)]


def test_a_second_scheduler_on_the_same_database_does_not_launch_a_claimed_tick(storage_backend):
    clock = ManualClock(T0)
    first = scheduler_for(storage_backend.open(), make_job(), clock=clock)
    second = scheduler_for(storage_backend.open(), make_job(), clock=clock)
    first.tick()
    second.tick()
    clock.advance(seconds=30)
    assert len(first.tick()) == 1
    assert second.tick() == []
    assert len(runs_of(first.storage)) == 1


def test_params_function_gets_the_tick_time_in_the_schedule_timezone(storage):
    seen = []

    def params(when: dt.datetime) -> dict[str, str]:
        seen.append(when)
        return {"day": when.date().isoformat()}

    clock = ManualClock(dt.datetime(2026, 6, 1, 21, 59, 30, tzinfo=dt.UTC))
    scheduler = scheduler_for(storage, make_job(params_type=Params, cron="0 0 * * *",
                                                timezone="Europe/Berlin", params=params),
                              clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)  # 22:00 UTC = midnight in Berlin
    scheduler.tick()
    [run] = runs_of(storage)
    assert run.params == {"day": "2026-06-02"}
    assert seen[0].utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize("params", [
    lambda when: 1 / 0,
    lambda when: {"unknown": 1},
])
def test_a_tick_whose_run_cannot_be_prepared_is_recorded_failed_with_the_reason(storage, params):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(params_type=Params, params=params), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    [tick] = scheduler.tick()
    assert tick.status is TickStatus.FAILED
    assert "could not prepare the run" in tick.reason
    assert ("ZeroDivisionError" in tick.reason) or ("unknown" in tick.reason)
    assert runs_of(storage) == []
    assert list_schedule_ticks(storage, "report")[0].status is TickStatus.FAILED


# -- daylight saving time ---------------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
                         ids=["spring-forward", "fall-back"])
def test_a_0230_daily_schedule_runs_once_on_a_dst_change_day(storage, day):
    start = dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(hours=6)
    clock = ManualClock(start)
    scheduler = scheduler_for(storage, make_job(cron="30 2 * * *", timezone="Europe/Berlin"),
                              clock=clock)
    scheduler.tick()
    for _ in range(12 * 10):  # ten hours in five-minute passes, across the change
        clock.advance(minutes=5)
        scheduler.tick()
    [run] = runs_of(storage)
    local = run.scheduled_for.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert local.date() == day
    assert (local.hour, local.minute) == ((3, 0) if day.month == 3 else (2, 30))


# -- catch-up -----------------------------------------------------------------------------


def test_catch_up_latest_launches_only_the_most_recent_missed_tick(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(), clock=clock)
    scheduler.tick()
    clock.advance(minutes=10)  # down from 10:00:30 to 10:10:30
    [tick] = scheduler.tick()
    assert (tick.status, tick.scheduled_for) == (TickStatus.LAUNCHED, minute(10))
    assert "9 earlier missed tick(s) not launched" in tick.reason


def test_catch_up_all_launches_every_missed_tick_inside_the_window(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(catch_up="all", overlap="allow",
                                                catch_up_window=dt.timedelta(minutes=5)),
                              clock=clock)
    scheduler.tick()
    clock.advance(minutes=20)  # down from 10:00:30 to 10:20:30
    ticks = scheduler.tick()
    assert statuses(ticks) == [(minute(m), TickStatus.LAUNCHED) for m in range(16, 21)]
    assert "outside the catch-up window" in ticks[0].reason
    assert len(runs_of(storage)) == 5


def test_catch_up_all_respects_the_overlap_policy(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(catch_up="all", overlap="buffer_all"),
                              clock=clock)
    scheduler.tick()
    clock.advance(minutes=3)
    assert statuses(scheduler.tick()) == [(minute(1), TickStatus.LAUNCHED),
                                          (minute(2), TickStatus.BUFFERED),
                                          (minute(3), TickStatus.BUFFERED)]


# -- overlap --------------------------------------------------------------------------------


def _two_ticks(storage: Storage, overlap: str) -> tuple[Scheduler, ManualClock, list[ScheduleTick]]:
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(overlap=overlap), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    first = scheduler.tick()
    clock.advance(minutes=1)
    return scheduler, clock, first + scheduler.tick()


def test_overlap_skip_skips_a_tick_while_the_previous_run_is_going(storage):
    _, _, ticks = _two_ticks(storage, "skip")
    assert statuses(ticks) == [(minute(1), TickStatus.LAUNCHED), (minute(2), TickStatus.SKIPPED)]
    assert ticks[0].run_id in ticks[1].reason and "overlap=skip" in ticks[1].reason


def test_overlap_skip_launches_again_once_the_previous_run_ended(storage):
    scheduler, clock, _ = _two_ticks(storage, "skip")
    finish(storage, runs_of(storage)[0])
    clock.advance(minutes=1)
    assert statuses(scheduler.tick()) == [(minute(3), TickStatus.LAUNCHED)]


def test_overlap_allow_launches_overlapping_runs(storage):
    _, _, ticks = _two_ticks(storage, "allow")
    assert [t.status for t in ticks] == [TickStatus.LAUNCHED] * 2
    assert len(runs_of(storage)) == 2


def test_overlap_cancel_running_cancels_the_previous_run_and_launches(storage):
    _, _, ticks = _two_ticks(storage, "cancel_running")
    assert [t.status for t in ticks] == [TickStatus.LAUNCHED] * 2
    first, second = runs_of(storage)
    assert first.status is RunStatus.CANCELED  # it was still queued: canceled at once
    assert second.status is RunStatus.QUEUED
    assert first.id in ticks[1].reason


def test_overlap_cancel_running_flags_a_started_run_for_its_worker(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(overlap="cancel_running"), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    scheduler.tick()
    [running] = runs_of(storage)
    storage.set_run_status(running.id, RunStatus.STARTED)
    clock.advance(minutes=1)
    scheduler.tick()
    assert storage.get_run(running.id).cancel_requested


def test_overlap_buffer_one_keeps_one_tick_waiting_and_skips_the_rest(storage):
    scheduler, clock, ticks = _two_ticks(storage, "buffer_one")
    assert statuses(ticks)[1] == (minute(2), TickStatus.BUFFERED)
    clock.advance(minutes=1)
    [third] = scheduler.tick()
    assert third.status is TickStatus.SKIPPED and "already waiting" in third.reason
    finish(storage, runs_of(storage)[0])
    clock.advance(seconds=1)
    [released] = scheduler.tick()
    assert (released.status, released.scheduled_for, released.id) == (
        TickStatus.LAUNCHED, minute(2), ticks[1].id)
    assert storage.get_run(released.run_id).scheduled_for == minute(2)


def test_overlap_buffer_all_launches_waiting_ticks_one_after_another(storage):
    scheduler, clock, _ = _two_ticks(storage, "buffer_all")
    clock.advance(minutes=1)
    assert statuses(scheduler.tick()) == [(minute(3), TickStatus.BUFFERED)]
    launched = []
    for _ in range(2):
        assert scheduler.tick() == []  # the previous run still goes: nothing released
        finish(storage, runs_of(storage)[-1])
        clock.advance(seconds=1)
        [tick] = scheduler.tick()
        launched.append((tick.scheduled_for, tick.status))
    assert launched == [(minute(2), TickStatus.LAUNCHED), (minute(3), TickStatus.LAUNCHED)]
    assert [r.scheduled_for for r in runs_of(storage)] == [minute(1), minute(2), minute(3)]


def test_a_buffered_tick_of_a_schedule_disabled_meanwhile_is_skipped(storage):
    scheduler, clock, ticks = _two_ticks(storage, "buffer_one")
    set_schedule_enabled(storage, "report", None, False)
    finish(storage, runs_of(storage)[0])
    clock.advance(seconds=1)
    [tick] = scheduler.tick()
    assert (tick.status, tick.id) == (TickStatus.SKIPPED, ticks[1].id)
    assert "disabled" in tick.reason


# -- pause on failure -------------------------------------------------------------------------


def test_a_schedule_pauses_itself_after_n_failed_runs_and_says_so(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(pause_after_failures=2), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    for _ in range(2):
        [tick] = scheduler.tick()
        assert tick.status is TickStatus.LAUNCHED
        finish(storage, storage.get_run(tick.run_id), RunStatus.FAILURE)
        clock.advance(minutes=1)
    [paused] = scheduler.tick()
    assert paused.status is TickStatus.PAUSED
    assert "last 2 run(s) failed" in paused.reason
    assert "daggo schedule enable report every_minute" in paused.reason
    [view] = list_schedules(storage)
    assert (view.enabled, view.enabled_override) == (False, False)
    clock.advance(minutes=1)
    assert [t.status for t in scheduler.tick()] == [TickStatus.SKIPPED]
    # Enabled again, earlier failures no longer count.
    set_schedule_enabled(storage, "report", "every_minute", True)
    clock.advance(minutes=1)
    assert [t.status for t in scheduler.tick()] == [TickStatus.LAUNCHED]


def test_a_success_between_failures_keeps_the_schedule_running(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(pause_after_failures=2), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    for outcome in (RunStatus.FAILURE, RunStatus.SUCCESS, RunStatus.FAILURE):
        [tick] = scheduler.tick()
        assert tick.status is TickStatus.LAUNCHED
        finish(storage, storage.get_run(tick.run_id), outcome)
        clock.advance(minutes=1)
    assert [t.status for t in scheduler.tick()] == [TickStatus.LAUNCHED]


# -- the Enabled toggle -----------------------------------------------------------------------


def test_disabling_from_another_process_is_seen_without_a_restart(storage_backend):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage_backend.open(), make_job(), clock=clock)
    admin = storage_backend.open()  # e.g. the CLI, on the same database
    scheduler.tick()
    set_schedule_enabled(admin, "report", "every_minute", False)
    clock.advance(seconds=30)
    [tick] = scheduler.tick()
    assert (tick.status, tick.reason) == (TickStatus.SKIPPED, "schedule disabled")
    set_schedule_enabled(admin, "report", None, True)
    clock.advance(minutes=1)
    assert [t.status for t in scheduler.tick()] == [TickStatus.LAUNCHED]
    assert [r.scheduled_for for r in runs_of(admin)] == [minute(2)]


def test_a_schedule_disabled_in_code_runs_only_once_enabled_by_the_toggle(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(enabled=False), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    assert [t.status for t in scheduler.tick()] == [TickStatus.SKIPPED]
    [view] = set_schedule_enabled(storage, "report", None, True)
    assert (view.enabled, view.enabled_in_code, view.enabled_override) == (True, False, True)
    clock.advance(minutes=1)
    assert [t.status for t in scheduler.tick()] == [TickStatus.LAUNCHED]


def test_toggling_an_unknown_schedule_names_the_known_ones(storage):
    scheduler_for(storage, make_job(), clock=ManualClock(T0))
    with pytest.raises(Exception, match=r"no schedule 'nightly' \(its schedules: every_minute\)"):
        set_schedule_enabled(storage, "report", "nightly", False)
    with pytest.raises(Exception, match="no job named 'missing'"):
        set_schedule_enabled(storage, "missing", None, False)


# -- bookkeeping ------------------------------------------------------------------------------


def test_removing_a_schedule_clears_its_bookkeeping_and_keeps_its_runs(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(), make_job("other", cron="*/5 * * * *"),
                              clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    scheduler.tick()
    [run] = runs_of(storage)
    # The next start: "report" lost its schedule.
    plain = dag.job("report").add(dag.op("work", work)).build()
    scheduler_for(storage, plain, make_job("other", cron="*/5 * * * *"), clock=clock)
    assert [(s.job_name, s.schedule_key) for s in storage.list_schedule_states()] == [
        ("other", "every_5_minutes")]
    assert storage.list_ticks("report") == []
    assert storage.get_run(run.id).schedule_key == "every_minute"


def test_ticks_are_listed_newest_first_per_schedule(storage):
    clock = ManualClock(T0)
    job = (dag.job("report").add(dag.op("work", work)).schedule("* * * * *", overlap="allow")
           .schedule("*/2 * * * *", overlap="allow").build())
    scheduler = scheduler_for(storage, job, clock=clock)
    scheduler.tick()
    clock.advance(minutes=4)
    scheduler.tick()  # catch-up: only the latest of each
    clock.advance(minutes=1)
    scheduler.tick()
    every = list_schedule_ticks(storage, "report", "every_minute")
    assert [t.scheduled_for for t in every] == [minute(5), minute(4)]
    listed = [(t.scheduled_for, t.schedule_key) for t in list_schedule_ticks(storage, "report")]
    assert listed[0] == (minute(5), "every_minute")
    assert sorted(listed[1:]) == [(minute(4), "every_2_minutes"), (minute(4), "every_minute")]


def test_old_ticks_are_pruned_but_buffered_ones_are_kept(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(overlap="buffer_one"), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    scheduler.tick()
    clock.advance(minutes=1)
    scheduler.tick()
    assert storage.prune_ticks(minute(30)) == 1
    assert [t.status for t in storage.list_ticks("report")] == [TickStatus.BUFFERED]


# -- definitions ----------------------------------------------------------------------------


@pytest.mark.parametrize(("schedule", "message"), [
    ({"cron": "61 * * * *"}, "job 'report' schedule 'hourly_at_61': invalid cron expression"),
    ({"cron": "* * * * * *"}, "invalid cron expression"),
    ({"timezone": "Mars/Olympus"}, "schedule 'every_minute': unknown timezone 'Mars/Olympus'"),
    ({"overlap": "sometimes"}, "overlap must be one of 'skip', 'buffer_one'"),
    ({"catch_up": "never"}, "catch_up must be one of 'latest', 'all'"),
    ({"catch_up_window": dt.timedelta(0)}, "catch_up_window must be a positive"),
    ({"pause_after_failures": 0}, "pause_after_failures must be an integer >= 1"),
    ({"cron": "0 0 31 2 *"}, "cron expression '0 0 31 2 *' matches no date"),
    ({"params": {"nope": 1}},
     "schedule 'every_minute': params of job 'report': nope: unknown field"),
])
def test_bad_schedules_fail_at_build_time_naming_job_and_schedule(schedule, message):
    with pytest.raises(DefinitionError) as error:
        make_job(params_type=Params, **schedule)
    assert message in str(error.value)


def test_seconds_until_due_lets_the_loop_sleep_until_the_next_tick(storage):
    clock = ManualClock(dt.datetime(2026, 6, 1, 10, 0, 59, 500_000, tzinfo=dt.UTC))
    scheduler = scheduler_for(storage, make_job(), clock=clock)
    scheduler.tick()
    assert scheduler.seconds_until_due(clock.now) == pytest.approx(0.5)
    assert scheduler.seconds_until_due(clock.now - dt.timedelta(minutes=5)) == 1.0



# -- review fixes: passes that fail, toggles before the first pass, stale replicas ---------


def test_overlap_cancel_running_across_missed_ticks_launches_only_the_last(storage):
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(catch_up="all", overlap="cancel_running"),
                              make_job("other"), clock=clock)
    scheduler.tick()
    clock.advance(minutes=3)
    ticks = scheduler.tick()
    assert [t.status for t in ticks if t.job_name == "report"] == [TickStatus.LAUNCHED] * 3
    assert [r.status for r in runs_of(storage)] == [RunStatus.CANCELED, RunStatus.CANCELED,
                                                    RunStatus.QUEUED]
    assert len(runs_of(storage, "other")) == 1  # the other schedule of the batch is fine


def test_a_schedule_toggled_before_the_scheduler_ever_ran_still_fires(storage):
    clock = ManualClock(T0)
    job = make_job()
    definitions = Definitions(jobs=[job])
    storage.sync_jobs(job_records(definitions))
    set_schedule_enabled(storage, "report", None, False)
    set_schedule_enabled(storage, "report", None, True)
    scheduler = Scheduler(storage, definitions.jobs_by_name, clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    assert [t.status for t in scheduler.tick()] == [TickStatus.LAUNCHED]


def test_a_replica_whose_clock_lags_does_not_launch_an_older_tick_after_a_newer_one(storage):
    ahead, behind = ManualClock(T0), ManualClock(T0)
    first = scheduler_for(storage, make_job(), clock=ahead)
    second = Scheduler(storage, first.jobs, clock=behind)
    first.tick()
    ahead.advance(minutes=5)   # 10:05:30: 10:05 is launched, 10:01-10:04 were missed
    behind.advance(minutes=4)  # 10:04:30
    assert [t.scheduled_for for t in first.tick()] == [minute(5)]
    assert second.tick() == []
    assert [r.scheduled_for for r in runs_of(storage)] == [minute(5)]


def test_waiting_ticks_are_not_prepared_while_the_previous_run_goes(storage):
    calls = []

    def params(when: dt.datetime) -> dict[str, str]:
        calls.append(when)
        return {}

    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, make_job(params_type=Params, overlap="buffer_all",
                                                params=params), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    scheduler.tick()
    clock.advance(minutes=1)
    scheduler.tick()  # 10:02 waits
    prepared = len(calls)
    for _ in range(5):
        clock.advance(seconds=1)
        assert scheduler.tick() == []
    assert len(calls) == prepared
    finish(storage, runs_of(storage)[0])
    clock.advance(seconds=1)
    assert [t.scheduled_for for t in scheduler.tick()] == [minute(2)]


def test_each_schedule_pauses_after_its_own_number_of_failures(storage):
    clock = ManualClock(T0)
    job = (dag.job("report").add(dag.op("work", work))
           .schedule("* * * * *", key="strict", pause_after_failures=1, overlap="allow")
           .schedule("* * * * *", key="lenient", pause_after_failures=2, overlap="allow")
           .build())
    scheduler = scheduler_for(storage, job, clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    for tick in scheduler.tick():
        finish(storage, storage.get_run(tick.run_id), RunStatus.FAILURE)
    clock.advance(minutes=1)
    outcome = {t.schedule_key: t.status for t in scheduler.tick()}
    assert outcome == {"strict": TickStatus.PAUSED, "lenient": TickStatus.LAUNCHED}


def test_a_schedule_whose_ticks_cannot_be_computed_does_not_stop_the_others(storage, caplog):
    import attrs

    from daggo_core.definitions.schedules import ScheduleDefinition

    # Built around the builder's checks (as by an older version): February 31 never comes.
    never = attrs.evolve(make_job(), schedules=(ScheduleDefinition(cron="0 0 31 2 *"),))
    clock = ManualClock(T0)
    scheduler = scheduler_for(storage, never, make_job("other"), clock=clock)
    scheduler.tick()
    clock.advance(seconds=30)
    assert [t.job_name for t in scheduler.tick()] == ["other"]
    assert "report/cron_0_0_31_2_x: computing its ticks failed" in caplog.text


# -- replicas -------------------------------------------------------------------------------


def test_two_scheduler_processes_launch_every_tick_exactly_once(storage_backend, tmp_path):
    """Two real processes pass over the same 20 (accelerated) minutes on one database."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from daggo_core.scheduling.cron import CronClock

    replica = importlib_replica()
    storage = storage_backend.open()
    definitions = replica.definitions()
    storage.sync_jobs(job_records(definitions))
    start = dt.datetime(2026, 6, 1, 10, 0, 5, tzinfo=dt.UTC)
    Scheduler(storage, definitions.jobs_by_name).tick(start)  # bookkeeping starts here
    env = {**os.environ, **storage_backend.env}
    go = tmp_path / "go"
    script = str(Path(__file__).with_name("scheduler_replica.py"))
    processes = [subprocess.Popen([sys.executable, script, start.isoformat(), "20", str(go)],
                                  env=env) for _ in range(2)]
    go.write_text(str(time.time() + 0.5))  # both have imported everything by then
    assert [p.wait(timeout=120) for p in processes] == [0, 0]

    end = start + dt.timedelta(minutes=20)
    runs = storage.list_runs(limit=10_000)
    launched = [(r.job_name, r.schedule_key, r.scheduled_for) for r in runs]
    assert len(launched) == len(set(launched)), "a tick was launched twice"
    expected = {
        (f"job_{i}", schedule.effective_key, when)
        for i in range(replica.JOBS)
        for schedule in definitions.jobs_by_name[f"job_{i}"].schedules
        for when in CronClock(schedule.cron, schedule.timezone).ticks_between(start, end)
    }
    assert set(launched) == expected
    ticks = storage.list_ticks(limit=10_000)
    assert {t.status for t in ticks} == {TickStatus.LAUNCHED}
    assert len(ticks) == len(expected)


def importlib_replica() -> Any:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("scheduler_replica.py")
    spec = importlib.util.spec_from_file_location("scheduler_replica", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

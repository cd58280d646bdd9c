"""`Runs.Timeline` on every backend: the window's runs per job, merged at the resolution
asked for, their counts, and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from daggo_core.errors import InvalidArgumentError
from daggo_core.services.runs import RunsGetManyRequest, RunStatus
from daggo_core.services.timeline import RunsTimelineRequest, StatusCount
from daggo_core.storage.base import Storage
from daggo_core.storage.records import Run
from daggo_core.testing.services import services_over

END = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
START = END - dt.timedelta(hours=10)


def _run(storage: Storage, job: str, minutes_before_end: float, seconds: float,
         status: RunStatus = RunStatus.SUCCESS) -> Run:
    started = END - dt.timedelta(minutes=minutes_before_end)
    finished = None if status is RunStatus.STARTED else started + dt.timedelta(seconds=seconds)
    return storage.add_run(Run(job_name=job, status=status, created_at=started,
                               started_at=started, finished_at=finished))


def test_runs_closer_than_a_slot_merge_into_one_bar(storage: Storage) -> None:
    # 10 hours over 10 slots: one slot is an hour.
    first = _run(storage, "etl", 550, 60)
    _run(storage, "etl", 300, 60)
    _run(storage, "etl", 290, 60, RunStatus.FAILURE)
    _run(storage, "etl", 280, 60)
    _run(storage, "report", 30, 60)
    timeline = services_over(storage).runs.timeline(
        RunsTimelineRequest(start=START, end=END, slots=10))
    assert [lane.job for lane in timeline.lanes] == ["etl", "report"]
    etl = timeline.lanes[0]
    assert etl.runs == 4
    assert [(bar.runs, bar.status, bar.run_id) for bar in etl.bars] == [
        (1, RunStatus.SUCCESS, first.id), (3, RunStatus.FAILURE, None)]
    merged = etl.bars[1]
    assert merged.counts == (StatusCount(status=RunStatus.FAILURE, count=1),
                             StatusCount(status=RunStatus.SUCCESS, count=2))
    assert merged.start == END - dt.timedelta(minutes=300)
    assert merged.end == END - dt.timedelta(minutes=280, seconds=-60)
    listed = services_over(storage).runs.get_many(RunsGetManyRequest(
        job="etl", created_after=merged.created_after, created_before=merged.created_before))
    assert len(listed.runs) == 3
    assert timeline.counts == (StatusCount(status=RunStatus.FAILURE, count=1),
                               StatusCount(status=RunStatus.SUCCESS, count=4))
    fine = services_over(storage).runs.timeline(
        RunsTimelineRequest(start=START, end=END, slots=1000))
    assert [bar.runs for bar in fine.lanes[0].bars] == [1, 1, 1, 1]


def test_bars_are_cut_to_the_window_and_a_running_run_reaches_now(storage: Storage) -> None:
    _run(storage, "long", 660, 3600 * 2)  # began an hour before the window
    _run(storage, "live", 20, 0, RunStatus.STARTED)
    only_long = services_over(storage).runs.timeline(
        RunsTimelineRequest(start=START, end=END, job="long"))
    assert [lane.job for lane in only_long.lanes] == ["long"]
    bar = only_long.lanes[0].bars[0]
    assert (bar.start, bar.end) == (START, START + dt.timedelta(hours=1))
    # Without a window: the last day. The run still going began long before it, and
    # shows across all of it up to now; the finished one does not.
    before = dt.datetime.now(dt.UTC)
    last_day = services_over(storage).runs.timeline(RunsTimelineRequest())
    assert [lane.job for lane in last_day.lanes] == ["live"]
    running = last_day.lanes[0].bars[0]
    assert running.status is RunStatus.STARTED
    assert running.start == last_day.start and running.end == last_day.end
    assert before <= last_day.end <= dt.datetime.now(dt.UTC)


def test_a_window_from_the_distant_past_holds_every_run(storage: Storage) -> None:
    _run(storage, "etl", 30, 60)
    since_ever = services_over(storage).runs.timeline(RunsTimelineRequest(
        start=dt.datetime(185, 6, 18, 8, 9, tzinfo=dt.timezone(dt.timedelta(minutes=40))),
        end=END))
    assert [(lane.job, lane.runs) for lane in since_ever.lanes] == [("etl", 1)]
    assert since_ever.start.tzinfo is dt.UTC


def test_bad_windows_and_resolutions_are_refused(storage: Storage) -> None:
    runs = services_over(storage).runs
    with pytest.raises(InvalidArgumentError, match="start: must be before end"):
        runs.timeline(RunsTimelineRequest(start=END, end=START))
    with pytest.raises(InvalidArgumentError, match="UTC offset"):
        runs.timeline(RunsTimelineRequest(start=START.replace(tzinfo=None), end=END))
    with pytest.raises(InvalidArgumentError, match="out of range"):
        runs.timeline(RunsTimelineRequest(start=dt.datetime(1, 1, 1, tzinfo=dt.timezone(
            dt.timedelta(minutes=40)))))
    for slots in (0, 2001, True):
        with pytest.raises(InvalidArgumentError, match="slots: must be an integer from 1"):
            runs.timeline(RunsTimelineRequest(start=START, end=END, slots=slots))

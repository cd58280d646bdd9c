"""The run's step recorder: batches from its writer thread, and the final batch stored
by the caller in its own transaction."""

from __future__ import annotations

import pytest

from daggo_core.errors import StorageError
from daggo_core.execution.recorder import StepRecorder
from daggo_core.storage.base import StepWrites, Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, StepRecord, StepStatus


def _started(storage: Storage) -> Run:
    return storage.add_run(Run(job_name="j", status=RunStatus.STARTED))


def _step(run: Run, key: str, status: StepStatus) -> StepRecord:
    return StepRecord(run_id=run.id, step_key=key, status=status)


def _event(run: Run, message: str) -> Event:
    return Event(run_id=run.id, kind=EventKind.LOG, message=message)


def test_store_with_hands_the_queue_to_the_caller_split_into_new_and_changed(storage):
    run = _started(storage)
    seen: list[Event] = []
    storage.add_event_listener(seen.extend)  # what the event dispatcher hears
    recorder = StepRecorder(storage)
    recorder.record_step(_step(run, "a", StepStatus.RUNNING), [_event(run, "a started")])
    recorder.flush()  # "a" is stored by the writer thread
    recorder.record_step(_step(run, "a", StepStatus.SUCCESS), [_event(run, "a done")])
    recorder.record_step(_step(run, "b", StepStatus.SUCCESS), [_event(run, "b done")])

    def finish(steps: StepWrites) -> Run:
        assert [s.step_key for s in steps.new] == ["b"]
        assert [s.step_key for s in steps.changed] == ["a"]
        return storage.set_run_status(run.id, RunStatus.SUCCESS, steps=steps)

    assert recorder.store_with(finish).status is RunStatus.SUCCESS
    recorder.close()
    assert {s.step_key: s.status for s in storage.list_steps(run.id)} == {
        "a": StepStatus.SUCCESS, "b": StepStatus.SUCCESS}
    assert [e.message for e in storage.list_events(run.id)] == ["a started", "a done", "b done"]
    assert [e.message for e in seen] == ["a started", "a done", "b done"]


def test_a_failed_store_with_keeps_the_queue_for_the_writer(storage):
    run = _started(storage)
    recorder = StepRecorder(storage)
    recorder.record_step(_step(run, "a", StepStatus.SUCCESS), [_event(run, "a done")])

    def fail(steps: StepWrites) -> None:
        raise StorageError("the database went away")

    with pytest.raises(StorageError, match="went away"):
        recorder.store_with(fail)
    recorder.record_step(_step(run, "b", StepStatus.SUCCESS), [_event(run, "b done")])
    recorder.close()
    assert [s.step_key for s in storage.list_steps(run.id)] == ["a", "b"]
    assert [e.message for e in storage.list_events(run.id)] == ["a done", "b done"]

"""What the run page shows of a step beyond its state: its attempts, read from the run's
step lifecycle events, and a bounded preview of its stored output."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

from attrs import frozen

from daggo_core.storage.base import EventFilter
from daggo_core.storage.records import Event, EventKind, StepRecord, StepStatus

__all__ = ["LIFECYCLE_EVENTS", "OUTPUT_PREVIEW_CHARS", "StepAttempt", "output_preview",
           "read_attempts", "step_attempts"]

#: The events that start or end an attempt of a step.
LIFECYCLE_EVENTS = EventFilter(kinds=(
    EventKind.STEP_STARTED, EventKind.STEP_RETRY, EventKind.STEP_FAILURE,
    EventKind.STEP_SUCCESS, EventKind.STEP_CANCELED))
#: How much of a step's output (as JSON text) `Runs.Get` returns.
OUTPUT_PREVIEW_CHARS = 2000
_PAGE = 10_000
_ENDS = {EventKind.STEP_RETRY: StepStatus.FAILURE, EventKind.STEP_FAILURE: StepStatus.FAILURE,
         EventKind.STEP_SUCCESS: StepStatus.SUCCESS, EventKind.STEP_CANCELED: StepStatus.CANCELED}


@frozen(kw_only=True)
class StepAttempt:
    """One call of a step's op: RUNNING with no `finished_at` while it runs; `error` is
    "Type: message" for a failed one."""

    attempt: int
    status: StepStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def read_attempts(list_events: Callable[..., list[Event]], run_id: str
                  ) -> dict[str, list[StepAttempt]]:
    """Every step's attempts from the run's lifecycle events (`Storage.list_events`): one
    kinds-filtered query per page of them, whatever the size of the log."""
    events: list[Event] = []
    after = 0
    while True:
        page = list_events(run_id, LIFECYCLE_EVENTS, after_id=after, limit=_PAGE)
        events += page
        if len(page) < _PAGE:
            return _from_events(events)
        after = page[-1].id or after


def _from_events(events: Iterable[Event]) -> dict[str, list[StepAttempt]]:
    """Attempts by step key. Events written before they named their attempt ("attempt" in
    their data) are numbered by counting the step's starts."""
    found: dict[str, list[StepAttempt]] = {}
    for event in events:
        if event.step_key is None:
            continue
        attempts = found.setdefault(event.step_key, [])
        number = event.data.get("attempt")
        if event.kind is EventKind.STEP_STARTED:
            attempts.append(StepAttempt(
                attempt=number if isinstance(number, int) else len(attempts) + 1,
                status=StepStatus.RUNNING, started_at=event.timestamp, finished_at=None,
                error=None))
            continue
        if not attempts or attempts[-1].finished_at is not None:
            continue  # a retry abandoned after its attempt ended, or a start not stored
        error = event.data.get("error")
        attempts[-1] = StepAttempt(
            attempt=attempts[-1].attempt, status=_ENDS[EventKind(event.kind)],
            started_at=attempts[-1].started_at, finished_at=event.timestamp,
            error=f"{error.get('type')}: {error.get('message')}"
            if isinstance(error, dict) else None)
    return found


def step_attempts(record: StepRecord | None, found: list[StepAttempt]
                  ) -> tuple[StepAttempt, ...]:
    """The step's attempts: those its events tell, the latest as its record has it (the
    record is what a lost worker's step ended as); one attempt from the record when no
    event tells of it."""
    if record is None or record.started_at is None or record.status is StepStatus.PENDING:
        return ()
    latest = StepAttempt(
        attempt=record.attempt, status=record.status, started_at=record.started_at,
        finished_at=record.finished_at,
        error=f"{record.error.type}: {record.error.message}" if record.error else None)
    earlier = [a for a in found if a.attempt < record.attempt]
    return (*earlier, latest)


def output_preview(output: Any) -> str | None:
    """The output as JSON text, cut to `OUTPUT_PREVIEW_CHARS` with a note saying so; None
    when the step stored none."""
    if output is None:
        return None
    text = json.dumps(output, ensure_ascii=False, indent=1)
    if len(text) <= OUTPUT_PREVIEW_CHARS:
        return text
    return (f"{text[:OUTPUT_PREVIEW_CHARS]}\n… (cut: {OUTPUT_PREVIEW_CHARS:,} of "
            f"{len(text):,} characters shown)")

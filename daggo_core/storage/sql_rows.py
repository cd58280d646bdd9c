"""Rows <-> records for the SQL storage, and statements shared by its modules."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Table,
    bindparam,
    select,
    tuple_,
    update,
)

from daggo_core import serde
from daggo_core.errors import AttemptSupersededError, RunNotFoundError
from daggo_core.storage.base import Fence
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.records import (
    ACTIVE_RUN_STATUSES,
    ErrorInfo,
    Event,
    EventKind,
    Run,
    RunStatus,
    utcnow,
)
from daggo_core.storage.schema import events as _events
from daggo_core.storage.schema import run_tags as _run_tags
from daggo_core.storage.schema import runs as _runs

if TYPE_CHECKING:
    # Only for annotations: sql_dialect reads `chunks` from here.
    from daggo_core.storage.sql_dialect import SqlDialect

__all__ = [
    "IN_LIST_LIMIT",
    "RUN_COLUMNS",
    "STORED_EVENTS",
    "cancel_in_transaction",
    "cancel_queued_runs",
    "check_fence",
    "chunks",
    "columns_of",
    "error_from",
    "error_value",
    "get_run",
    "insert_events",
    "insert_runs",
    "older_than",
    "record_values",
    "request_cancel_of_active_runs",
    "run_from_row",
    "run_values",
    "sync_active",
]


T = TypeVar("T")

#: The most values one IN list of a statement binds (a batch with more is read in parts).
IN_LIST_LIMIT = 500


def chunks(values: Sequence[T], size: int = IN_LIST_LIMIT) -> Iterator[Sequence[T]]:
    """`values` in consecutive parts of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


@functools.cache
def _field_names(record: type) -> tuple[str, ...]:
    return tuple(field.name for field in attrs.fields(record))


def record_values(record: Any) -> dict[str, Any]:
    """`attrs.asdict(record, recurse=False)`, without its per-call field inspection
    (it runs for every step record and event written)."""
    kind: type = type(record)  # `type`, not type[Any], is Hashable to mypy (mypy#11470)
    return {name: getattr(record, name) for name in _field_names(kind)}


def columns_of(table: Table, record: type) -> tuple[ColumnElement[Any], ...]:
    """The table's columns named like `record`'s fields (rows then map onto records)."""
    return tuple(table.c[field.name] for field in attrs.fields(record))


RUN_COLUMNS = columns_of(_runs, Run)
_GET_RUN = select(*RUN_COLUMNS).where(_runs.c.id == bindparam("key_id"))
_ACTIVE_VALUES = frozenset(s.value for s in ACTIVE_RUN_STATUSES)
# FOR SHARE where the database has row locks: a settling UPDATE of the run waits for the
# fenced write to commit, or the write waits for it and then sees the run ended (an
# embedded database whose write transactions exclude each other renders no clause).
_FENCE = (select(_runs.c.status, _runs.c.attempt).where(_runs.c.id == bindparam("key_id"))
          .with_for_update(read=True))


def check_fence(conn: Connection, fence: Fence) -> None:
    """Raise AttemptSupersededError unless the run is active in the fence's attempt."""
    row = conn.execute(_FENCE, {"key_id": fence.run_id}).one_or_none()
    if row is None:
        raise RunNotFoundError(f"no run with id {fence.run_id!r}")
    status, attempt = row
    if attempt != fence.attempt or status not in _ACTIVE_VALUES:
        raise AttemptSupersededError(
            f"run {fence.run_id}: attempt {fence.attempt} was superseded (the run is "
            f"{status.lower()} in attempt {attempt}); this worker's writes are refused")


def get_run(conn: Connection, run_id: str) -> Run:
    """The run as stored; raises RunNotFoundError if there is none."""
    row = conn.execute(_GET_RUN, {"key_id": run_id}).one_or_none()
    if row is None:
        raise RunNotFoundError(f"no run with id {run_id!r}")
    return run_from_row(row._mapping)


def cancel_in_transaction(conn: Connection, run_id: str, now: dt.datetime) -> tuple[Run, bool]:
    """End a QUEUED run as CANCELED, or flag an active one; a finished one is unchanged.
    Returns the run, and whether it ended a queued run."""
    run = get_run(conn, run_id)
    if run.status is RunStatus.QUEUED:
        ended = cancel_queued_runs(conn, _runs.c.id == run_id, now,
                                   message="run canceled while queued")
        if ended:
            return ended[0], True
        run = get_run(conn, run_id)
    if run.status in ACTIVE_RUN_STATUSES and not run.cancel_requested:
        flagged = request_cancel_of_active_runs(conn, _runs.c.id == run_id, now)
        # None flagged: the run ended since it was read.
        return (flagged[0] if flagged else get_run(conn, run_id)), False
    return run, False


def cancel_queued_runs(conn: Connection, where: ColumnElement[bool], now: dt.datetime, *,
                       message: str) -> list[Run]:
    """End the QUEUED runs matching `where` as CANCELED, each with a RUN_CANCELED event
    saying `message`; returns them. One statement for the runs and one for the events."""
    rows = conn.execute(
        update(_runs).where(where, _runs.c.status == RunStatus.QUEUED.value)
        .values(status=RunStatus.CANCELED.value, finished_at=now, wait_reason=None)
        .returning(*RUN_COLUMNS)).all()
    runs = [run_from_row(row._mapping) for row in rows]
    insert_events(conn, [Event(run_id=run.id, kind=EventKind.RUN_CANCELED, level="INFO",
                               message=message, timestamp=now) for run in runs])
    return runs


def request_cancel_of_active_runs(conn: Connection, where: ColumnElement[bool],
                                  now: dt.datetime) -> list[Run]:
    """Flag the active runs matching `where` that are not flagged yet (their workers stop
    them), each with a RUN_CANCEL_REQUESTED event; returns them. The status is checked by
    the UPDATE itself: a run that ended meanwhile is left alone."""
    rows = conn.execute(
        update(_runs).where(where, _runs.c.status.in_(sorted(_ACTIVE_VALUES)),
                            _runs.c.cancel_requested.is_(False))
        .values(cancel_requested=True).returning(*RUN_COLUMNS)).all()
    runs = [run_from_row(row._mapping) for row in rows]
    insert_events(conn, [Event(run_id=run.id, kind=EventKind.RUN_CANCEL_REQUESTED,
                               level="INFO", message="cancellation requested", timestamp=now)
                         for run in runs])
    return runs


#: The columns an event row gives, in order (see `_event_row`).
_EVENT_ROW = ("run_id", "step_key", "kind", "timestamp", "level", "message", "data")
_INSERT_EVENTS = BulkStatement(_events.insert(), _EVENT_ROW)


#: The list collecting the events the transaction running on this thread stores, while
#: someone listens (see `Transactions`).
STORED_EVENTS: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "daggo_stored_events", default=None)


def insert_events(conn: Connection, events: Sequence[Event], *,
                  many: SqlDialect | None = None) -> None:
    """Append `events` (one statement for all; see `insert_runs` for `many`)."""
    if not events:
        return
    _INSERT_EVENTS.execute(conn, [_event_row(event) for event in events], many=many)
    collected = STORED_EVENTS.get()
    if collected is not None:
        collected.extend(events)


def _event_row(event: Event) -> tuple[Any, ...]:
    return (event.run_id, event.step_key, EventKind(event.kind).value, event.timestamp,
            event.level, event.message, event.data)


def error_value(error: ErrorInfo | None) -> Any:
    return None if error is None else serde.unstructure(error)


def error_from(value: Any) -> ErrorInfo | None:
    return None if value is None else serde.structure(value, ErrorInfo)


def run_values(run: Run) -> dict[str, Any]:
    """The `runs` row of `run` (its trigger is derived from it)."""
    values = record_values(run)
    values.update(status=RunStatus(run.status).value, error=error_value(run.error),
                  trigger=run.trigger.value)
    return values


_RUN_ROW = (*_field_names(Run), "trigger")
_INSERT_RUNS = BulkStatement(_runs.insert(), _RUN_ROW)
_INSERT_RUN_TAGS = BulkStatement(_run_tags.insert(), ("run_id", "key", "value"))


def insert_runs(conn: Connection, runs: Sequence[Run], *,
                many: SqlDialect | None = None) -> None:
    """Insert new runs with their tag rows (one statement for each table; through
    `many`'s `insert_many` for a large batch, see `BulkStatement`)."""
    if not runs:
        return
    rows = [run_values(run) for run in runs]
    _INSERT_RUNS.execute(conn, [tuple(row[name] for name in _RUN_ROW) for row in rows],
                         many=many)
    _INSERT_RUN_TAGS.execute(conn, [(run.id, key, value)
                                    for run in runs for key, value in run.tags.items()],
                             many=many)


def run_from_row(row: RowMapping) -> Run:
    return Run(**{**row, "status": RunStatus(row["status"]), "error": error_from(row["error"]),
                  "cancel_requested": bool(row["cancel_requested"])})


def sync_active(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *,
                key: str = "name") -> None:
    """Upsert `rows` into `table` (keyed by its column `key`, with `active` and
    `updated_at`) as its active set: rows stored before are updated (the columns `rows`
    give; the others are kept), new ones inserted, and the others marked inactive."""
    column = table.c[key]
    existing = set(conn.scalars(select(column)))
    updates = [{**row, "key_name": row[key]} for row in rows if row[key] in existing]
    inserts = [row for row in rows if row[key] not in existing]
    if updates:
        conn.execute(table.update().where(column == bindparam("key_name")), updates)
    if inserts:
        conn.execute(table.insert(), inserts)
    conn.execute(update(table)
                 .where(table.c.active.is_(True), column.not_in([r[key] for r in rows]))
                 .values(active=False, updated_at=utcnow()))


def older_than(table: Table, created_at: dt.datetime, row_id: str) -> ColumnElement[bool]:
    """Rows of `table` after (created_at, id) in a newest-first keyset page."""
    return tuple_(table.c.created_at, table.c.id) < tuple_(
        bindparam("after_at", created_at, type_=table.c.created_at.type),
        bindparam("after_id", row_id))

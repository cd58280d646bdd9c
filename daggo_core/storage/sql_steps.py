"""Step records on SQL, written in bulk by the one writer that owns a run's steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, func, select

from daggo_core.storage.asset_records import AssetWrites
from daggo_core.storage.base import Fence, StepWrites
from daggo_core.storage.bulk import BulkStatement
from daggo_core.storage.records import Event, StepRecord, StepStatus
from daggo_core.storage.schema import steps as _steps
from daggo_core.storage.sql_assets import store_asset_writes
from daggo_core.storage.sql_dialect import SqlDialect
from daggo_core.storage.sql_rows import (
    check_fence,
    columns_of,
    error_from,
    error_value,
    insert_events,
)
from daggo_core.storage.sql_transactions import Transactions

__all__ = ["SqlSteps", "list_steps", "store_steps"]

_STEP_COLUMNS = columns_of(_steps, StepRecord)
# The next position in the run, read from the (run_id, seq) index: one probe per step
# whatever the size of the run.
_NEXT_STEP_SEQ = (
    select(func.coalesce(func.max(_steps.c.seq), 0) + 1)
    .where(_steps.c.run_id == bindparam("seq_run_id"))
    .scalar_subquery()
)
#: The state columns a step row gives, in order (see `_step_state`).
_STEP_STATE = ("status", "attempt", "started_at", "finished_at", "error", "output",
               "metadata")
_INSERT_STEPS = BulkStatement(_steps.insert().values(seq=_NEXT_STEP_SEQ),
                              ("run_id", "step_key", *_STEP_STATE, "seq_run_id"))
_UPDATE_STEPS = BulkStatement(
    _steps.update().where(_steps.c.run_id == bindparam("key_run_id"),
                          _steps.c.step_key == bindparam("key_step_key")),
    (*_STEP_STATE, "key_run_id", "key_step_key"))
_NO_ASSET_WRITES = AssetWrites()
_LIST_STEPS = (select(*_STEP_COLUMNS).where(_steps.c.run_id == bindparam("run_id"))
               .order_by(_steps.c.seq, _steps.c.step_key))


class SqlSteps:
    """The `StepStorage` part of SqlStorage."""

    _tx: Transactions

    def record_steps(
        self,
        new: Sequence[StepRecord],
        changed: Sequence[StepRecord],
        events: Sequence[Event] = (),
        *,
        fence: Fence | None = None,
        assets: AssetWrites | None = None,
    ) -> None:
        """Insert `new` steps, replace the state of `changed` ones, append `events` and
        store `assets` (what the steps did to assets).

        One transaction for the whole batch, each part executed as one statement over many
        rows: the writer that owns a run's steps uses it to store many transitions at once.
        With `fence`, nothing is stored (AttemptSupersededError) unless the run is active
        in that attempt.
        """
        writes = StepWrites(new=new, changed=changed, events=events,
                            assets=assets or _NO_ASSET_WRITES)
        dialect = self._tx.dialect

        def tx(conn: Connection) -> None:
            if fence is not None:
                check_fence(conn, fence)
            store_steps(conn, writes, dialect)

        self._tx.write("record_steps", tx)

    def list_steps(self, run_id: str) -> list[StepRecord]:
        """Return the run's steps in the order they were first recorded."""
        return self._tx.read("list_steps", lambda conn: list_steps(conn, run_id))


def list_steps(conn: Connection, run_id: str) -> list[StepRecord]:
    """The run's steps in the order they were first recorded."""
    rows = conn.execute(_LIST_STEPS, {"run_id": run_id}).all()
    return [_step_from_row(row._mapping) for row in rows]


def store_steps(conn: Connection, writes: StepWrites, dialect: SqlDialect) -> None:
    """Insert the new steps, update the changed ones, append the events: one statement
    each; then what the steps did to assets (see `store_asset_writes`)."""
    _INSERT_STEPS.execute(conn, [_step_insert_row(step) for step in writes.new])
    _UPDATE_STEPS.execute(conn, [_step_update_row(step) for step in writes.changed])
    insert_events(conn, writes.events)
    if writes.assets:
        store_asset_writes(conn, writes.assets, dialect)


def _step_state(step: StepRecord) -> tuple[Any, ...]:
    """The step's fields named by `_STEP_STATE`, as stored."""
    return (StepStatus(step.status).value, step.attempt, step.started_at, step.finished_at,
            error_value(step.error), step.output, step.metadata or None)


def _step_insert_row(step: StepRecord) -> tuple[Any, ...]:
    """The values of `_INSERT_STEPS`: the step's key, its state and its run again (seq)."""
    return (step.run_id, step.step_key, *_step_state(step), step.run_id)


def _step_update_row(step: StepRecord) -> tuple[Any, ...]:
    """The values of `_UPDATE_STEPS`: the step's state, then its key."""
    return (*_step_state(step), step.run_id, step.step_key)


def _step_from_row(row: RowMapping) -> StepRecord:
    status, error = StepStatus(row["status"]), error_from(row["error"])
    # Steps stored before step metadata existed have NULL there.
    return StepRecord(**{**row, "status": status, "error": error,
                         "metadata": row["metadata"] or {}})

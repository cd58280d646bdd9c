"""The storage contract on every backend, through the shared `storage` fixture."""

from __future__ import annotations

import pytest

from daggo_core.storage.base import Storage
from daggo_core.testing.storage_contract import StorageContract


class TestStorageContract(StorageContract):
    @pytest.fixture
    def storage(self, storage_backend) -> Storage:  # type: ignore[override]
        return storage_backend.open()


def test_bulk_row_layouts_cover_every_field_of_their_records() -> None:
    """A field added to Event or StepRecord must be added to the rows written in bulk."""
    import attrs

    from daggo_core.storage import sql_rows, sql_steps
    from daggo_core.storage.records import Event, StepRecord

    assert {*sql_rows._EVENT_ROW, "id"} == {f.name for f in attrs.fields(Event)}
    step_row = {"run_id", "step_key", *sql_steps._STEP_STATE}
    assert step_row == {f.name for f in attrs.fields(StepRecord)}


def test_every_table_naming_runs_is_purged_with_them_or_kept_on_purpose() -> None:
    """A table added with a run id column must say whether a purge deletes its rows."""
    from daggo_core.storage.schema import metadata
    from daggo_core.storage.sql_retention import PURGED_WITH_RUNS

    naming_runs = {table.name for table in metadata.tables.values()
                   if any(column.name.endswith("run_id") for column in table.c)}
    kept = {"asset_partitions", "asset_check_results", "assets", "backfill_plan",
            "schedule_ticks", "workers", "runs"}  # runs: `parent_run_id`
    assert naming_runs == {column.table.name for column in PURGED_WITH_RUNS} | kept


def test_a_bulk_statement_names_a_row_layout_that_does_not_fit(storage) -> None:
    from daggo_core.storage.bulk import BulkStatement
    from daggo_core.storage.schema import events

    wrong = BulkStatement(events.insert(), ("run_id", "kind", "no_such_column"))
    with storage.engine.begin() as conn, pytest.raises(ValueError, match="rows give"):
        wrong.execute(conn, [("r", "LOG", 1)])


def test_an_event_filter_matches_what_a_query_with_it_returns(storage: Storage) -> None:
    from daggo_core.storage.base import EventFilter
    from daggo_core.storage.records import Event, EventKind, Run

    run = storage.add_run(Run(job_name="job"))
    storage.add_events([
        Event(run_id=run.id, kind=EventKind.LOG, step_key=step, level=level, message=text)
        for step, level, text in (("a", "INFO", "Loaded rows"), ("b", "WARNING", "slow"),
                                  (None, "ERROR", "LOADED nothing"))])
    stored = storage.list_events(run.id)
    for where in (EventFilter(step_key="a"), EventFilter(levels=("WARNING", "ERROR")),
                  EventFilter(kinds=(EventKind.LOG,)), EventFilter(search="loaded"),
                  EventFilter(kinds=(EventKind.RUN_SUCCESS,))):
        assert [e for e in stored if where.matches(e)] == storage.list_events(run.id, where), where

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


def test_a_bulk_statement_names_a_row_layout_that_does_not_fit(storage) -> None:
    from daggo_core.storage.bulk import BulkStatement
    from daggo_core.storage.schema import events

    wrong = BulkStatement(events.insert(), ("run_id", "kind", "no_such_column"))
    with storage.engine.begin() as conn, pytest.raises(ValueError, match="rows give"):
        wrong.execute(conn, [("r", "LOG", 1)])

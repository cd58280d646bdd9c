"""The queue's payload and the ops of its two jobs, as methods of an ops object holding
Deps. Each op learns which item it works on from the run's queue context."""

from __future__ import annotations

from typing import Any

from attrs import frozen

import daggo_core
from daggo_core import Context, NoInput
from examples.queue_ingestion.resources.deps import Deps
from examples.queue_ingestion.resources.stores import Row

#: The fields every imported row needs a value for.
REQUIRED = ("email", "name", "plan")


@frozen
class ImportEnvelope:
    """A queue item: one uploaded batch of a customer's rows."""

    customer_id: str
    batch_id: str


@frozen
class BatchRows:
    customer_id: str
    batch_id: str
    rows: list[Row]


@frozen
class LoadRowsInput:
    batch: BatchRows


@frozen
class ImportedRows:
    """What the import loaded; published onto the queue item (`MetadataProvider`)."""

    customer_id: str
    batch_id: str
    rows: int
    customer_rows: int

    def queue_metadata(self) -> dict[str, Any]:
        return {"rows_imported": self.rows, "customer_rows": self.customer_rows}


@frozen
class AuditReport:
    rows: int
    problems: list[str]


class ImportOps:
    """Ops bound to the app's dependencies."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def read_batch(self, ctx: Context, inp: NoInput) -> BatchRows:
        """Read the uploaded rows of the item's batch."""
        envelope = daggo_core.queue_payload(ctx, ImportEnvelope)
        meta = daggo_core.queue_meta(ctx)
        rows = self.deps.batches.rows(envelope.customer_id, envelope.batch_id)
        ctx.log.info("item %s (key %s, attempt %d): %d rows to import", meta.item_id,
                     meta.item_key, meta.attempt, len(rows))
        return BatchRows(customer_id=envelope.customer_id, batch_id=envelope.batch_id,
                         rows=rows)

    def load_rows(self, ctx: Context, inp: LoadRowsInput) -> ImportedRows:
        """Load the batch into the warehouse (loading it again replaces it)."""
        batch = inp.batch
        total = self.deps.warehouse.load(batch.customer_id, batch.batch_id, batch.rows)
        ctx.log.info("customer %s now has %d rows", batch.customer_id, total)
        return ImportedRows(customer_id=batch.customer_id, batch_id=batch.batch_id,
                            rows=len(batch.rows), customer_rows=total)

    def audit_batch(self, ctx: Context, inp: NoInput) -> AuditReport:
        """Check every row of the item's batch has the required fields; append the
        finding to the audit log."""
        envelope = daggo_core.queue_payload(ctx, ImportEnvelope)
        meta = daggo_core.queue_meta(ctx)
        rows = self.deps.batches.rows(envelope.customer_id, envelope.batch_id)
        problems = [f"row {index}: no {name}" for index, row in enumerate(rows)
                    for name in REQUIRED if not row.get(name)]
        for problem in problems:
            ctx.log.warning("%s/%s %s", envelope.customer_id, envelope.batch_id, problem)
        self.deps.audit.append({"item_id": meta.item_id, "item_key": meta.item_key,
                                "accepted_at": meta.accepted_at.isoformat(),
                                "rows": len(rows), "problems": problems})
        return AuditReport(rows=len(rows), problems=problems)

"""The queue's two jobs, unordered fan-out peers: every item starts one run of each."""

from __future__ import annotations

from daggo_core import JobDefinition, dag
from examples.queue_ingestion.ops.import_ops import ImportOps


def customer_import_job(ops: ImportOps) -> JobDefinition:
    return (
        dag.job("customer_import", description="Load a customer's uploaded batch into the "
                                               "warehouse.")
        .add(dag.op("read_batch", ops.read_batch), dag.op("load_rows", ops.load_rows))
        .build()
    )


def customer_import_audit_job(ops: ImportOps) -> JobDefinition:
    return (
        dag.job("customer_import_audit", description="Check an uploaded batch's rows.")
        .add(dag.op("audit_batch", ops.audit_batch))
        .build()
    )

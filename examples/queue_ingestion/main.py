"""The queue ingestion example: `python -m examples.queue_ingestion` seeds the inbox and
serves it (http://127.0.0.1:8000/).

Envelopes dropped into `.daggo/inbox/` (one JSON file each, read in name order) are
loaded every 2 s into the queue "customer_imports", which also takes them posted to
`/queues/customer-imports`. Items are partitioned by customer and deduplicated on
customer/batch; each starts a run of the import job and one of the audit job.
"""

from __future__ import annotations

from pathlib import Path

import daggo_core
from daggo_core import Definitions, Queue, QueueDefinition
from examples.queue_ingestion.jobs.customer_imports import (
    customer_import_audit_job,
    customer_import_job,
)
from examples.queue_ingestion.ops.import_ops import ImportEnvelope, ImportOps
from examples.queue_ingestion.resources.deps import Deps, new_deps
from examples.queue_ingestion.resources.samples import seed_samples

HERE = Path(__file__).resolve().parent
STATE = HERE / ".daggo"


def customer_imports_queue(deps: Deps) -> QueueDefinition[ImportEnvelope]:
    ops = ImportOps(deps)
    return (
        Queue[ImportEnvelope]("customer_imports",
                              description="Customer batches to import and audit.")
        .route("/queues/customer-imports")
        .loader(deps.inbox.load, mode="poll", poll_every=2.0)
        .partition_key(lambda item: item.customer_id)
        .item_key(lambda item: f"{item.customer_id}/{item.batch_id}")
        .jobs(customer_import_job(ops), customer_import_audit_job(ops))
        .retries(2, backoff=30.0)
        .build()
    )


def build_definitions(deps: Deps) -> Definitions:
    """The example's queue and its jobs, over `deps`."""
    queue = customer_imports_queue(deps)
    return Definitions(jobs=queue.jobs, queues=[queue])


deps = new_deps(STATE)
defs = build_definitions(deps)


def main() -> None:
    """Seed the inbox (on the first start) and serve the example."""
    seed_samples(deps)
    daggo_core.run(daggo_core.load_config(HERE / "daggo.toml"), defs)


if __name__ == "__main__":
    main()

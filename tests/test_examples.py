"""The queue ingestion example (examples/queue_ingestion): its inbox loader reads the
directory in name order from its cursor, and its Definitions, served in this process,
import and audit every seeded envelope end to end."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from daggo_core.app import DaggoApp
from daggo_core.config import default_config
from daggo_core.services.queues import QueueItemsGetManyRequest, QueueItemsGetRequest
from daggo_core.storage.records import ItemSource, QueueItemStatus, RunStatus
from daggo_core.testing.processes import wait_for
from daggo_sqlite.testing import database_config
from examples.queue_ingestion.main import build_definitions
from examples.queue_ingestion.resources.deps import new_deps
from examples.queue_ingestion.resources.inbox import Inbox
from examples.queue_ingestion.resources.samples import seed_samples

JOBS = ["customer_import", "customer_import_audit"]


def test_the_inbox_loader_reads_files_in_name_order_from_its_cursor(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox", batch_size=2)
    assert inbox.load(None).items == [] and inbox.load(None).lag == 0  # no directory yet
    for name in ("0003-c.json", "0001-a.json", "0002-b.json"):
        inbox.drop(name, {"customer_id": name[5], "batch_id": "b1"})
    first = inbox.load(None)
    assert [item["customer_id"] for item in first.items] == ["a", "b"]
    assert (first.cursor, first.lag) == ("0002-b.json", 1)
    second = inbox.load(first.cursor)
    assert second.items == [{"customer_id": "c", "batch_id": "b1"}]
    assert (second.cursor, second.lag) == ("0003-c.json", 0)
    idle = inbox.load(second.cursor)
    assert (idle.items, idle.cursor, idle.lag) == ([], "0003-c.json", 0)
    (inbox.path / "0004-broken.json").write_text("{not json")
    inbox.drop("0005-e.json", {"customer_id": "e", "batch_id": "b1"})
    later = inbox.load(idle.cursor)
    assert later.items == ["{not json", {"customer_id": "e", "batch_id": "b1"}]
    assert (later.cursor, later.lag) == ("0005-e.json", 0)
    assert not list(inbox.path.glob(".*"))  # nothing half-written is left beside them


def test_the_example_imports_and_audits_every_seeded_envelope_end_to_end(
        tmp_path: Path, apps: Callable[..., DaggoApp]) -> None:
    deps = new_deps(tmp_path / "state")
    assert seed_samples(deps) and not seed_samples(deps)  # seeded once
    config = default_config()
    config.database = database_config(str(tmp_path / "daggo.sqlite"))
    config.execution.executor = "in_process"
    config.execution.poll_interval_seconds = 0.05
    config.scheduler.enabled = False
    app = apps(config, build_definitions(deps))
    queue_items = app.services.queue_items

    def items() -> list[tuple[str, QueueItemStatus]]:
        found = queue_items.get_many(QueueItemsGetManyRequest(queue="customer_imports"))
        return sorted((item.item_key, item.status) for item in found.items)

    def check() -> None:
        done = [("acme/2026-12-01", QueueItemStatus.DEDUPLICATED),
                ("acme/2026-12-01", QueueItemStatus.SUCCEEDED),
                ("acme/2026-12-02", QueueItemStatus.SUCCEEDED),
                ("globex/2026-12-01", QueueItemStatus.SUCCEEDED),
                ("initech/2026-12-01", QueueItemStatus.SUCCEEDED)]
        wait_for(lambda: items() == done, what="the five envelopes to be imported")
        (queue,) = app.services.queues.get_many().queues
        assert queue.loader is not None and queue.loader.healthy
        assert (queue.loader.cursor, queue.loader.lag) == ("0005-acme-2026-12-01.json", 0)

        found = queue_items.get_many(QueueItemsGetManyRequest(
            queue="customer_imports", partition_key="acme", statuses=(
                QueueItemStatus.SUCCEEDED,))).items
        first = next(item for item in found if item.item_key == "acme/2026-12-01")
        detail = queue_items.get(QueueItemsGetRequest(item_id=first.id))
        assert detail.item.source is ItemSource.LOADER and detail.duplicate_count == 1
        assert detail.payload == {"customer_id": "acme", "batch_id": "2026-12-01"}
        # Both acme batches may be loaded at once: the customer has 3 or 4 rows by then.
        assert detail.metadata["rows_imported"] == 3
        assert detail.metadata["customer_rows"] in (3, 4)
        assert sorted((run.job_name, run.status) for run in detail.runs) == [
            (job, RunStatus.SUCCESS) for job in JOBS]

        # An envelope posted through the API runs the same way.
        deps.batches.put("globex", "2026-12-03", [
            {"email": "otto@globex.test", "name": "Otto", "plan": "pro"}])
        (pushed,) = app.push("customer_imports", {"customer_id": "globex",
                                                  "batch_id": "2026-12-03"}).accepted
        wait_for(lambda: queue_items.get(QueueItemsGetRequest(item_id=pushed)).item.status
                 is QueueItemStatus.SUCCEEDED, what="the pushed envelope to be imported")
        detail = queue_items.get(QueueItemsGetRequest(item_id=pushed))
        assert detail.item.partition_key == "globex" and detail.item.source is ItemSource.API
        assert detail.metadata == {"rows_imported": 1, "customer_rows": 3}

    async def main() -> None:
        async with app.running():
            await asyncio.to_thread(check)

    asyncio.run(main())
    loaded = json.loads((deps.warehouse.path / "acme" / "2026-12-02.json").read_text())
    assert [row["name"] for row in loaded] == ["Ken"]
    audited = {record["item_key"]: record["problems"] for record in deps.audit.records()}
    assert audited == {"acme/2026-12-01": [], "acme/2026-12-02": [],
                       "globex/2026-12-01": ["row 1: no email"], "initech/2026-12-01": [],
                       "globex/2026-12-03": []}

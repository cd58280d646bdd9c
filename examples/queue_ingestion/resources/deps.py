"""`Deps`: every client the ops and the loader need, built once from the state directory."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen

from examples.queue_ingestion.resources.inbox import Inbox
from examples.queue_ingestion.resources.stores import AuditLog, BatchStore, Warehouse


@frozen
class Deps:
    inbox: Inbox
    batches: BatchStore
    warehouse: Warehouse
    audit: AuditLog


def new_deps(state_dir: Path) -> Deps:
    """Clients over `state_dir`: inbox/, batches/, warehouse/ and audit.jsonl in it."""
    return Deps(inbox=Inbox(state_dir / "inbox"), batches=BatchStore(state_dir / "batches"),
                warehouse=Warehouse(state_dir / "warehouse"),
                audit=AuditLog(state_dir / "audit.jsonl"))

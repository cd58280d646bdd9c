"""Sample uploads the example starts with: a few customer batches and their envelopes."""

from __future__ import annotations

from examples.queue_ingestion.resources.deps import Deps
from examples.queue_ingestion.resources.stores import Row

#: (customer_id, batch_id, rows) of the uploaded batches.
BATCHES: list[tuple[str, str, list[Row]]] = [
    ("acme", "2026-12-01", [
        {"email": "ada@acme.test", "name": "Ada", "plan": "pro"},
        {"email": "grace@acme.test", "name": "Grace", "plan": "team"},
        {"email": "linus@acme.test", "name": "Linus", "plan": "pro"}]),
    ("acme", "2026-12-02", [
        {"email": "ken@acme.test", "name": "Ken", "plan": "team"}]),
    ("globex", "2026-12-01", [
        {"email": "hank@globex.test", "name": "Hank", "plan": "free"},
        {"email": "", "name": "Nobody", "plan": "free"}]),
    ("initech", "2026-12-01", [
        {"email": "peter@initech.test", "name": "Peter", "plan": "team"},
        {"email": "milton@initech.test", "name": "Milton", "plan": "pro"}]),
]


def seed_samples(deps: Deps) -> bool:
    """Upload the sample batches and drop one envelope per batch into the inbox (named
    `0001-acme-2026-12-01.json` ..., so later files sort after them), plus one envelope
    delivered twice (the queue deduplicates it on its item key). Does nothing when the
    inbox already exists; returns whether it seeded."""
    if deps.inbox.path.exists():
        return False
    for customer_id, batch_id, rows in BATCHES:
        deps.batches.put(customer_id, batch_id, rows)
    envelopes = [(customer_id, batch_id) for customer_id, batch_id, _ in BATCHES]
    for number, (customer_id, batch_id) in enumerate([*envelopes, envelopes[0]], start=1):
        deps.inbox.drop(f"{number:04d}-{customer_id}-{batch_id}.json",
                        {"customer_id": customer_id, "batch_id": batch_id})
    return True

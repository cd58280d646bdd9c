"""The app of the queue tests over a served app (`tests/test_rpc_queues.py`,
`tests/test_cli_queues.py`): the queue `imports` of `Envelope` payloads, partitioned by
customer and keyed `customer/batch`, starting `import` and `audit` (an import of a
customer in `FAILING` fails: the tests serve this module's definitions in their process,
so they change it there); and `pings`, whose poll loader finds nothing new."""

from __future__ import annotations

from typing import Any

from attrs import frozen

import daggo_core
from daggo_core import Batch, Context, NoInput, Queue, dag

#: Customers whose imports fail.
FAILING: set[str] = set()


@frozen
class Envelope:
    customer: str
    batch: int


@frozen
class Imported:
    rows: int

    def queue_metadata(self) -> dict[str, Any]:
        return {"rows": self.rows}


def import_rows(ctx: Context, inp: NoInput) -> Imported:
    envelope = daggo_core.queue_payload(ctx, Envelope)
    if envelope.customer in FAILING:
        raise RuntimeError(f"cannot import {envelope.customer}")
    return Imported(rows=envelope.batch * 10)


@frozen
class Audited:
    ok: bool


def audit(ctx: Context, inp: NoInput) -> Audited:
    return Audited(ok=True)


IMPORT = dag.job("import").add(dag.op("import_rows", import_rows)).build()
AUDIT = dag.job("audit").add(dag.op("audit", audit)).build()
IMPORTS = (Queue[Envelope]("imports").partition_key(lambda e: e.customer)
           .item_key(lambda e: f"{e.customer}/{e.batch}").jobs(IMPORT, AUDIT).build())


@frozen
class Ping:
    host: str


def poll_pings(cursor: str | None) -> Batch[Ping]:
    return Batch(items=[], cursor=cursor, lag=0)


PINGS = Queue[Ping]("pings").loader(poll_pings, poll_every=0.2).jobs(AUDIT).build()

defs = daggo_core.Definitions(jobs=[IMPORT, AUDIT], queues=[IMPORTS, PINGS])

"""The app the queue fault tests run in real processes: written into each test's
directory as app.py.

Queue "stream" has a poll loader reading `QUEUE_SOURCE` (a number per line) from its
cursor (the next line's index), 500 lines a batch, and no item key: were a batch stored
without its cursor (or the cursor without its batch), items would be lost or accepted
twice. Queue "pushed" is keyed by its number. Their job appends what it ran to
`QUEUE_OUT`.
"""

import os
from pathlib import Path

from attrs import frozen

import daggo_core
from daggo_core import Batch, Context, NoInput, Queue, dag

SOURCE = Path(os.environ.get("QUEUE_SOURCE", "source.txt"))
OUT = Path(os.environ.get("QUEUE_OUT", "out.txt"))
BATCH = 500


@frozen
class Record:
    n: int


@frozen
class Recorded:
    n: int


def record(ctx: Context, inp: NoInput) -> Recorded:
    meta = daggo_core.queue_meta(ctx)
    n = daggo_core.queue_payload(ctx, Record).n
    with OUT.open("a") as out:
        out.write(f"{meta.queue} {n} {ctx.run_id}\n")
    return Recorded(n)


def load(cursor: str | None) -> Batch[Record]:
    lines = SOURCE.read_text().split() if SOURCE.exists() else []
    start = int(cursor or 0)
    chunk = lines[start:start + BATCH]
    return Batch(items=[Record(int(n)) for n in chunk], cursor=str(start + len(chunk)),
                 lag=len(lines) - start - len(chunk))


RECORD = dag.job("record").add(dag.op("record", record)).build()
STREAM = Queue[Record]("stream").loader(load, poll_every=0.01).jobs(RECORD).build()
PUSHED = Queue[Record]("pushed").item_key(lambda r: str(r.n)).jobs(RECORD).build()

defs = daggo_core.Definitions(jobs=[RECORD], queues=[STREAM, PUSHED])

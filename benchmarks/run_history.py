"""A long run history for the read benchmarks: finished runs of ten jobs inserted in bulk.

The runs are `spacing` apart, ending a minute ago; each job's statuses cycle through
`STATUS_CYCLE` (90 % SUCCESS, 8 % FAILURE, 2 % CANCELED).
"""

from __future__ import annotations

import datetime as dt

from daggo_core.storage.records import Run, RunStatus, utcnow
from daggo_core.storage.sql import SqlStorage
from daggo_core.storage.sql_rows import insert_runs

__all__ = ["STATUS_CYCLE", "seed_runs"]

#: Runs inserted per transaction.
BATCH = 10_000
#: The statuses of each job's runs, in turn.
STATUS_CYCLE = [RunStatus.SUCCESS] * 45 + [RunStatus.FAILURE] * 4 + [RunStatus.CANCELED]


def seed_runs(storage: SqlStorage, count: int, *, jobs: int = 10,
              spacing: dt.timedelta = dt.timedelta(seconds=1)) -> None:
    """`count` finished runs of `job_0` .. `job_{jobs - 1}` in turn, `spacing` apart,
    the last created a minute ago; each took 0.4 s after 0.1 s in the queue."""
    first = utcnow() - dt.timedelta(seconds=60) - spacing * (count - 1)
    for start in range(0, count, BATCH):
        runs = []
        for i in range(start, min(start + BATCH, count)):
            created = first + spacing * i
            status = STATUS_CYCLE[i // jobs % len(STATUS_CYCLE)]
            runs.append(Run(job_name=f"job_{i % jobs}", status=status, created_at=created,
                            started_at=created + dt.timedelta(seconds=0.1),
                            finished_at=created + dt.timedelta(seconds=0.5)))
        with storage.engine.begin() as conn:
            insert_runs(conn, runs)

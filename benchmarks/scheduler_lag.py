"""Scheduler lag: 1,000 schedules due in the same minute, until all their runs are queued.

    python benchmarks/scheduler_lag.py [-n 3] [--schedules 1000] [--postgres URL]

A scheduler loop (the one `daggo run` starts) runs on a fresh database with N jobs that
each have an every-minute schedule. Its clock is the real clock shifted so that the next
minute starts about a second after the loop started; the lag is measured from that
instant to the moment all N runs are stored (first run and last run). SQLite by default;
with --postgres (or DAGGO_TEST_POSTGRES_URL) PostgreSQL is measured too, in a throw-away
schema. Prints a table with median, min and max.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from attrs import frozen
from rich.console import Console
from rich.table import Table

from daggo_core import Context, Definitions, NoInput, dag
from daggo_core.config import DatabaseConfig
from daggo_core.plugins import make_plugin_manager
from daggo_core.scheduling.scheduler import Scheduler
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import Storage
from daggo_sqlite.testing import database_config as sqlite_database


@frozen
class Done:
    ok: bool


def work(ctx: Context, inp: NoInput) -> Done:
    return Done(True)


def definitions(count: int) -> Definitions:
    return Definitions(jobs=[dag.job(f"job_{i:04d}").add(dag.op("work", work))
                             .schedule("* * * * *").build() for i in range(count)])


def shifted_clock(lead: float) -> tuple[Callable[[], dt.datetime], float]:
    """A clock whose next minute starts `lead` seconds from now, and that instant in
    real (monotonic) time."""
    now = dt.datetime.now(dt.UTC)
    next_minute = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    offset = next_minute - now - dt.timedelta(seconds=lead)
    return (lambda: dt.datetime.now(dt.UTC) + offset), time.monotonic() + lead


async def measure_once(storage: Storage, defs: Definitions) -> tuple[float, float]:
    """Seconds from the due instant to the first and to the last run being stored."""
    count = len(defs.jobs)
    clock, due_at = shifted_clock(lead=1.0)
    scheduler = Scheduler(storage, defs.jobs_by_name, clock=clock)
    loop = asyncio.create_task(scheduler.run_forever())
    first = None
    try:
        while True:
            stored = await asyncio.to_thread(storage.count_runs)
            if stored and first is None:
                first = time.monotonic() - due_at
            if stored >= count:
                return first or 0.0, time.monotonic() - due_at
            await asyncio.sleep(0.005)
    finally:
        loop.cancel()


def open_storage(database: DatabaseConfig) -> Storage:
    return make_plugin_manager().storage_backend(database.driver).open(database)


def run_backend(make_database: Callable[[int], DatabaseConfig],
                cleanup: Callable[[int], None], defs: Definitions,
                n: int) -> list[tuple[float, float]]:
    """`n` measurements, each on a fresh database."""
    results = []
    for i in range(n):
        storage = open_storage(make_database(i))
        try:
            sync_definitions(storage, defs)
            results.append(asyncio.run(measure_once(storage, defs)))
        finally:
            storage.close()
            cleanup(i)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=3, help="measurements per backend")
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL to measure too")
    args = parser.parse_args()
    defs = definitions(args.schedules)
    scratch = Path(tempfile.mkdtemp(prefix="daggo-scheduler-lag-"))
    backends: dict[str, list[tuple[float, float]]] = {}
    backends["sqlite"] = run_backend(
        lambda i: sqlite_database(scratch / f"lag{i}.sqlite"),
        lambda i: None, defs, args.n)
    if args.postgres:
        from daggo_postgres.testing import database_config, drop_schema, unique_schema

        schemas = [unique_schema("daggo_bench") for _ in range(args.n)]
        backends["postgres"] = run_backend(
            lambda i: database_config(args.postgres, schemas[i]),
            lambda i: drop_schema(args.postgres, schemas[i]), defs, args.n)
    table = Table(title=f"scheduler lag: {args.schedules} schedules due in the same minute "
                        f"(median of {args.n}, min-max; target: all within 2 s)")
    for column in ("backend", "first run queued", "all runs queued"):
        table.add_column(column)
    for name, results in backends.items():
        cells = []
        for values in zip(*results, strict=True):
            cells.append(f"{statistics.median(values):.3f} s "
                         f"({min(values):.3f}-{max(values):.3f})")
        table.add_row(name, *cells)
    Console().print(table)


if __name__ == "__main__":
    main()

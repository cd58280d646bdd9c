"""W3 runs100 on each storage backend: 100 sequential runs of a 3-op job, persisted.

    python benchmarks/runs_per_backend.py [-n 3] [--postgres URL]

The workload of `make bench`'s runs100 row (`daggo_core.execute(job, storage=...)` on a
fresh database), measured on SQLite and, with --postgres (or DAGGO_TEST_POSTGRES_URL), on
PostgreSQL in a throw-away schema. Prints runs per second: median, min and max.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from daggo_core import execute
from daggo_core.config import DatabaseConfig
from daggo_core.plugins import make_plugin_manager
from daggo_sqlite.testing import database_config as sqlite_database

sys.path.insert(0, str(Path(__file__).parent / "workloads"))
from _daggo import three_op_job

RUNS = 100


THREE = three_op_job()


def runs_per_second(database: DatabaseConfig) -> float:
    storage = make_plugin_manager().storage_backend(database.driver).open(database)
    try:
        start = time.perf_counter()
        for _ in range(RUNS):
            assert execute(THREE, storage=storage).success
        elapsed = time.perf_counter() - start
        assert storage.count_runs() == RUNS
        return RUNS / elapsed
    finally:
        storage.close()


def measure(n: int, make: Callable[[], tuple[DatabaseConfig, Callable[[], None]]]) -> list[float]:
    rates = []
    for _ in range(n):
        database, cleanup = make()
        try:
            rates.append(runs_per_second(database))
        finally:
            cleanup()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=3, help="measurements per backend")
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL to measure too")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="daggo-runs-")
    counter = iter(range(1_000_000))

    def sqlite() -> tuple[DatabaseConfig, Callable[[], None]]:
        path = os.path.join(scratch, f"runs{next(counter)}.sqlite")
        return sqlite_database(path), lambda: None

    results = {"sqlite": measure(args.n, sqlite)}
    if args.postgres:
        from daggo_postgres.testing import database_config, drop_schema, unique_schema

        def postgres() -> tuple[DatabaseConfig, Callable[[], None]]:
            schema = unique_schema("daggo_bench")
            return (database_config(args.postgres, schema),
                    lambda: drop_schema(args.postgres, schema))

        results["postgres"] = measure(args.n, postgres)
    table = Table(title=f"runs100: {RUNS} runs of a 3-op job, persisted (median of {args.n})")
    for column in ("backend", "runs/s", "min", "max"):
        table.add_column(column)
    for name, rates in results.items():
        table.add_row(name, f"{statistics.median(rates):.0f}", f"{min(rates):.0f}",
                      f"{max(rates):.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()

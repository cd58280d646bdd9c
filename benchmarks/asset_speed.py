"""W14 assets and partitions: the partition grid at 100,000 partitions, a backfill of
10,000 partitions, and the lineage graph of 500 assets.

    python benchmarks/asset_speed.py [-n 20] [--partitions 100000] [--backfill 10000]
                                     [--assets 500] [--postgres URL]
                                     [--compare [--dagster-backfill 1000]]

Set-up (not timed): a fresh database (SQLite; with --postgres or DAGGO_TEST_POSTGRES_URL,
PostgreSQL too, in a throw-away schema) holding an hourly-partitioned asset with
`--partitions` partitions (11.4 years of hours, to today), 90% of them materialized, 5% failed and
the rest missing; an asset of `--backfill` static partitions; `--assets` assets in a
lineage of 50 layers (each reading one asset of the layer before, and following two more).

- grid: `Assets.GetPartitions` (200 cells over every partition) through the app's ASGI
  application (Quart's test client: routing, the service, the answer's JSON), the
  server time, after one untimed request; -n requests. Target under 200 ms.
- backfill to all queued: while a real server (`daggo run -f benchmarks/asset_app.py`)
  runs, `Backfills.Launch` of every partition of the static asset, to the last of its
  runs created by the server's backfill runner (in batches of 500). Target under 10 s.
- backfill to done: from there to the last run done: the server's coordinator executes
  the trivial op of each run with the in-process executor, 8 runs at once (with the
  subprocess executor, each run's worker process start-up bounds the rate instead: see
  `make bench-launch`); runs per second.
- graph: `Assets.GetGraph` of every asset, server time as for the grid. Target under 300 ms.

With --compare, a "dagster" column: `benchmarks/workloads/dagster_partitions.py` run by
`benchmarks/.work/.venvs/dagster/bin/python` (built from the shared harness's pinned lock
file on first use, as `benchmarks/run.py --compare` does; never the project's venv), on a
fresh DAGSTER_HOME with SQLite storage and the QueuedRunCoordinator:

- grid: what the webserver resolves for the UI's PartitionHealthQuery of the same hourly
  asset and history (`assetPartitionStatuses`: the `AssetStatusCacheValue` path,
  `get_partition_subsets`, then the status ranges the UI draws; `partitionKeysByDimension`:
  every key), in-process, without executing GraphQL: the median (max) of -n requests reading
  the status cache, and the first request, which builds it from the event log.
- backfill to all queued: an asset backfill of --dagster-backfill static partitions (1,000 by
  default: at 0.13-0.18 s per run on this machine, 10,000 would take over 20 minutes),
  created as the UI's mutation does, then the backfill daemon's iterations in-process until
  every run is QUEUED; the cell also gives the linear estimate for --backfill partitions.

Prints a Rich table: median (max) for the timed requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from asset_app import app_definitions
from bench_venvs import ensure_engine_venv
from bench_workspace import REPO, find_shared, prepare
from rich.console import Console
from rich.table import Table

import daggo_core
from daggo_core.config import Config, DatabaseConfig, default_config
from daggo_core.definitions.partitions import partitions_from_snapshot
from daggo_core.execution.run_assets import partition_keys_of
from daggo_core.services.assets import AssetsGetPartitionsRequest
from daggo_core.services.backfills import BackfillsLaunchRequest
from daggo_core.storage.asset_records import (
    AssetEvent,
    AssetStateChange,
    AssetWrites,
    BackfillStatus,
    PartitionState,
)
from daggo_core.storage.base import Storage
from daggo_core.testing.processes import free_port, wait_for, wait_healthy
from daggo_sqlite.testing import database_config as sqlite_database

APP = Path(__file__).parent / "asset_app.py"
GRID_CELLS = 200
#: The backfill's server executes this many runs at once, in its own process.
RUNS_AT_ONCE = 8
DAGSTER_SCRIPT = Path(__file__).parent / "workloads" / "dagster_partitions.py"
GRID_ROW = "grid of an hourly asset"
DONE_ROW = "backfill: queued to all done (trivial op)"


def backfill_row(runs: int) -> str:
    return f"backfill of {runs:,} partitions: launch to all queued"


def seed_grid(storage: Storage, partitions: int) -> None:
    """90% of the hourly asset's partitions materialized, 5% failed."""
    record = storage.get_asset("events")
    assert record is not None and record.snapshot.partitions is not None
    keys = partition_keys_of(partitions_from_snapshot(record.snapshot.partitions),
                             storage).slice(0, partitions)
    for begin in range(0, len(keys), 10_000):
        chunk = keys[begin:begin + 10_000]
        done = [k for i, k in enumerate(chunk, begin) if i % 20 < 18]
        failed = [k for i, k in enumerate(chunk, begin) if i % 20 == 18]
        storage.add_asset_events([AssetEvent(asset_key="events", partition_key=k,
                                              metadata={"rows": 1}) for k in done])
        storage.record_steps([], [], [], assets=AssetWrites(states=[AssetStateChange(
            asset_key="events", partition_keys=tuple(failed), state=PartitionState.FAILED,
            run_id="0" * 32)]))


def timed_rpc(app: daggo_core.DaggoApp, method: str, body: dict[str, Any],
              n: int) -> list[float]:
    data = json.dumps(body)

    async def measure() -> list[float]:
        client = app.asgi.test_client()
        seconds = []
        for _ in range(n + 1):
            start = time.perf_counter()
            response = await client.post(f"/rpc/{method}", data=data,
                                         headers={"Content-Type": "application/json"})
            await response.get_data()
            seconds.append(time.perf_counter() - start)
            assert response.status_code == 200, f"{method}: {response.status_code}"
        return seconds[1:]

    return asyncio.run(measure())


def backfill_times(app: daggo_core.DaggoApp, database: DatabaseConfig,
                   env: dict[str, str]) -> tuple[float, float, int]:
    """A backfill of every partition of "backfilled" launched while a real server
    (`daggo run`) runs: seconds from the launch to every run queued by the server's
    backfill runner, then runs per second from there to the last run done."""
    storage = app.services.context.storage
    port = free_port()
    log = open(os.path.join(env["SCRATCH"], "server.log"), "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "daggo_core.cli.main", "run", "-f", str(APP)],
        env={**os.environ, **env, "DAGGO_ADMIN_PORT": str(port),
             "DAGGO_SCHEDULER_ENABLED": "false", "DAGGO_EXECUTION_EXECUTOR": "in_process",
             "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": str(RUNS_AT_ONCE)},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, server, timeout=120)
        start = time.perf_counter()
        launched = app.services.backfills.launch(BackfillsLaunchRequest(asset="backfilled"))
        wait_for(lambda: storage.get_backfill(launched.id).submitted == launched.planned,
                 600, "every run of the backfill queued")
        queued = time.perf_counter()
        wait_for(lambda: storage.get_backfill(launched.id).status
                 is BackfillStatus.COMPLETED, 3600, "the backfill done")
        done = time.perf_counter()
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    return queued - start, launched.planned / (done - queued), launched.planned


def measure(database: DatabaseConfig, env: dict[str, str],
            args: argparse.Namespace) -> dict[str, str]:
    cfg: Config = default_config()
    cfg.database = database
    cfg.scheduler.enabled = False
    app = daggo_core.open(cfg, app_definitions(args.partitions, args.backfill, args.assets))
    try:
        storage = app.services.context.storage
        seed_grid(storage, args.partitions)
        total = app.services.assets.get_partitions(AssetsGetPartitionsRequest(
            key="events", cells=GRID_CELLS)).total
        grid = timed_rpc(app, "Assets.GetPartitions", {"key": "events", "cells": GRID_CELLS},
                         args.n)
        graph = timed_rpc(app, "Assets.GetGraph", {}, args.n)
        queued, per_second, runs = backfill_times(app, database, {
            **env, "ASSET_BENCH_PARTITIONS": str(args.partitions),
            "ASSET_BENCH_BACKFILL": str(args.backfill),
            "ASSET_BENCH_ASSETS": str(args.assets)})
    finally:
        app.close()
    return {
        GRID_ROW: f"{_ms(grid)}, {total:,} partitions",
        f"graph of {args.assets} assets": _ms(graph),
        backfill_row(runs): f"{queued:.2f} s",
        DONE_ROW: f"{per_second:.0f} runs/s",
    }


def dagster_column(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """Run dagster_partitions.py in the Dagster venv; its column header and cells."""
    work = prepare(find_shared(None), REPO / ".venv")
    version = ensure_engine_venv(work, "dagster")
    python = work / ".venvs" / "dagster" / "bin" / "python"
    command = [str(python), str(DAGSTER_SCRIPT), "-n", str(args.n),
               "--partitions", str(args.partitions), "--backfill", str(args.dagster_backfill)]
    print(f"$ {' '.join(command)}", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    records = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            records[record["workload"]] = record
    if done.returncode != 0 or len(records) != 3:
        raise SystemExit(f"{DAGSTER_SCRIPT.name} failed (exit {done.returncode}; its stderr "
                         f"is above); measured: {', '.join(records) or 'nothing'}")
    cold, warm = records["partitions-grid-cold"], records["partitions-grid-warm"]
    fill = records["partitions-backfill-queued"]
    queued = f"{fill['seconds']:.2f} s"
    if fill["runs"] != args.backfill:
        estimate = fill["per_unit_ms"] * args.backfill / 1000
        queued += (f" for {fill['runs']:,} runs ({fill['per_unit_ms']:.0f} ms per run; "
                   f"estimate for {args.backfill:,}: {estimate:.0f} s if linear)")
    return f"dagster {version}", {
        GRID_ROW: (f"{warm['seconds'] * 1000:.1f} ms ({warm['ms_max']:.1f}), "
                   f"{warm['partitions']:,} partitions in {warm['ranges']:,} ranges; first "
                   f"request (status cache cold) {cold['seconds'] * 1000:.0f} ms"),
        backfill_row(args.backfill): queued,
        DONE_ROW: "not measured (runs stay QUEUED)",
    }


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.1f} ms ({max(seconds) * 1000:.1f})"


def backends(args: argparse.Namespace, scratch: str
             ) -> Iterator[tuple[str, DatabaseConfig, dict[str, str], Callable[[], None]]]:
    """Each backend measured: its database, the DAGGO_* variables selecting it for the
    server, and how to drop it."""
    path = os.path.join(scratch, "assets.sqlite")
    yield ("sqlite", sqlite_database(path),
           {"DAGGO_DATABASE_DRIVER": "sqlite", "DAGGO_SQLITE_PATH": path, "SCRATCH": scratch},
           lambda: None)
    if args.postgres:
        from daggo_postgres.testing import database_config, drop_schema, unique_schema

        schema = unique_schema("daggo_bench")
        yield ("postgres", database_config(args.postgres, schema),
               {"DAGGO_DATABASE_DRIVER": "postgres", "DAGGO_POSTGRES_DSN": args.postgres,
                "DAGGO_POSTGRES_SCHEMA": schema, "SCRATCH": scratch},
               lambda: drop_schema(args.postgres, schema))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="timed requests each (20)")
    parser.add_argument("--partitions", type=int, default=100_000)
    parser.add_argument("--backfill", type=int, default=10_000)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL to measure too")
    parser.add_argument("--compare", action="store_true",
                        help="add a Dagster column (builds its venv on first use)")
    parser.add_argument("--dagster-backfill", type=int, default=1_000,
                        help="partitions of Dagster's backfill (1000)")
    args = parser.parse_args()
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="daggo-assets-") as scratch:
        for name, database, env, drop in backends(args, scratch):
            try:
                results[name] = measure(database, env, args)
            finally:
                drop()
    if args.compare:
        name, cells = dagster_column(args)
        results[name] = cells
    table = Table(title=f"W14 assets and partitions (median (max) of {args.n})")
    table.add_column("measurement")
    for name in results:
        table.add_column(name)
    for row in next(iter(results.values())):
        table.add_row(row, *(results[name].get(row, "not measured") for name in results))
    Console().print(table)


if __name__ == "__main__":
    main()

"""Queue ingestion (W7): items accepted per second pushed over HTTP and delivered by a poll
loader, and the latency from an item's acceptance to its first step starting.

    python benchmarks/queue_speed.py [--push-seconds 5] [--connections 4]
        [--loader-items 10000] [--batch 1000] [-n 3] [--postgres URL]
        [--latency-items 50] [--gap 0.8] [--warm-workers 1]

- push: `python benchmarks/queue_app.py` serves the app on a fresh SQLite file without its
  runtime (Hypercorn, one process: nothing executes the items' runs, so ingestion alone is
  timed: the request, the payload check, the item with its QUEUED run and RUN_QUEUED event
  stored). `wrk` (`make bench-tools` installs it) posts one item per request over
  `--connections` keep-alive connections for `--push-seconds` s: to `POST
  /rpc/Queues.Push`, then to the queue's route `POST /ingest/bench` (after 1 s untimed
  of each); requests per second, checked against the items stored.
- loader: in this process, the poll loader runner `daggo run` uses (`LoaderRunner`,
  polled again at once while the source says it holds more) delivers `--loader-items`
  items in batches of `--batch` into a fresh database, no runtime either; `-n` rounds,
  each on a fresh database: SQLite, and PostgreSQL with `--postgres` (or
  DAGGO_TEST_POSTGRES_URL) in a throw-away schema.
- latency: `daggo run -f benchmarks/queue_app.py` on a fresh SQLite file (the default
  subprocess executor, `--warm-workers` warm workers); `--latency-items` items pushed one
  at a time through `Queues.Push` over HTTP, `--gap` s apart (the pool refills
  meanwhile), each timed from its `created_at` (acceptance) to its run's STEP_STARTED
  event; median and p95 (one more push first, untimed).

Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from attrs import frozen
from queue_app import QUEUE, ROUTE, CountingSource, definitions
from rich.console import Console
from rich.table import Table

import daggo_core
from daggo_core.config import DatabaseConfig, default_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.queues.runtime import QueueRuntime
from daggo_core.storage.base import EventFilter, Storage
from daggo_core.storage.records import EventKind, Run
from daggo_core.testing.processes import free_port, wait_for
from daggo_sqlite.testing import database_config as sqlite_database

BENCH_DIR = Path(__file__).resolve().parent
#: Targets: items per second pushed one per request, and delivered by a loader; ms from
#: acceptance to the first step starting (median).
PUSH_TARGET, LOADER_TARGET, LATENCY_TARGET_MS = 1000.0, 10_000.0, 100.0
#: Items per request of the route's batch row (a webhook delivering several events).
PUSH_BATCH = 10
#: Untimed posts to each endpoint before the timed ones.
WARM_UP = 100
STEP_STARTED = EventFilter(kinds=(EventKind.STEP_STARTED,))


@frozen
class Row:
    measurement: str
    backend: str
    items: str
    result: str
    target: str


def met(ok: bool) -> str:
    return "(met)" if ok else "(NOT met)"


def open_storage(database: DatabaseConfig) -> Storage:
    return make_plugin_manager().storage_backend(database.driver).open(database)


def stored_items(storage: Storage) -> int:
    return sum(storage.count_items_by_status(QUEUE).get(QUEUE, {}).values())


@contextmanager
def server(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[int]:
    """A server process started with `args` (the port in its environment) until the block
    ends; yields the port once it answers HTTP."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, *args], cwd=cwd,
                            env={**os.environ, **env, "DAGGO_ADMIN_PORT": str(port),
                                 "DAGGO_SCHEDULER_ENABLED": "false"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def answering() -> bool:
        assert proc.poll() is None, f"the server exited with code {proc.returncode}"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # it answers (a server without its runtime is not "healthy")
        except OSError:
            return False
        return True

    try:
        wait_for(answering, 30, "the server to answer")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# ---------------------------------------------------------------------------- push


def wrk_post(port: int, path: str, template: str, first: int, connections: int,
             seconds: float, scratch: Path) -> tuple[int, float]:
    """`wrk` posting `template` (a Lua format string with at most one `%d`, numbered from
    `first`) to `path` for `seconds`; (requests answered, requests per second). Fails on
    any answer but 2xx or a socket error."""
    script = scratch / "push.lua"
    script.write_text('wrk.method = "POST"\n'
                      'wrk.headers["Content-Type"] = "application/json"\n'
                      f"counter = {first}\n"
                      "request = function()\n"
                      "  counter = counter + 1\n"
                      f"  return wrk.format(nil, nil, nil, string.format('{template}', counter))\n"
                      "end\n")
    done = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds:g}s", "-s", str(script),
         f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True)
    out = done.stdout
    assert "Non-2xx" not in out and "Socket errors" not in out, out
    requests = re.search(r"^\s+(\d+) requests in", out, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    assert requests and rate, out
    return int(requests[1]), float(rate[1])


def measure_push(scratch: Path, seconds: float, connections: int) -> list[Row]:
    database = scratch / "push.sqlite"
    # Without an item key the batch's items need no numbers of their own.
    batch = ", ".join(['{"n": 0}'] * PUSH_BATCH)
    endpoints = [("POST /rpc/Queues.Push", "/rpc/Queues.Push",
                  '{"queue": "' + QUEUE + '", "items": [{"n": %d}]}', 1),
                 (f"POST {ROUTE} (the route)", ROUTE, '{"n": %d}', 1),
                 (f"POST {ROUTE} (the route)", ROUTE, f"[{batch}]", PUSH_BATCH)]
    rows = []
    with server([str(BENCH_DIR / "queue_app.py")], {"DAGGO_SQLITE_PATH": str(database)},
                scratch) as port:
        storage = open_storage(sqlite_database(database))
        try:
            for label, path, body, per_request in endpoints:
                before = stored_items(storage)
                wrk_post(port, path, body, before, connections, 1.0, scratch)
                warm = stored_items(storage)
                answered, rate = wrk_post(port, path, body, warm, connections, seconds,
                                          scratch)
                stored = stored_items(storage) - warm
                assert stored >= answered * per_request, (
                    f"{path}: {answered} requests answered, {stored} items stored")
                items = rate * per_request
                per = "1 item" if per_request == 1 else f"{per_request} items"
                rows.append(Row(f"push: {label}, {per} per request, {connections} "
                                "connections", "SQLite", f"{answered * per_request:,}",
                                f"{items:,.0f} items/s",
                                f"{PUSH_TARGET:,.0f}/s {met(items >= PUSH_TARGET)}"))
        finally:
            storage.close()
    return rows


# ---------------------------------------------------------------------------- loader


async def drain(runtime: QueueRuntime) -> float:
    """Seconds for the queue's loader to deliver everything its source holds."""
    (runner,) = runtime.loaders()
    began = time.perf_counter()
    while True:
        ok, more = await runner.poll_once()
        assert ok, "the loader failed"
        if not more:
            return time.perf_counter() - began


def loader_round(database: DatabaseConfig, items: int, batch: int) -> float:
    """Items per second delivered by the loader into `database` (fresh)."""
    config = default_config()
    config.database = database
    app = daggo_core.open(config, definitions(CountingSource(items, batch)))
    try:
        seconds = asyncio.run(drain(QueueRuntime(app.storage, app.definitions,
                                                 ingestor=app.services.queues.ingestor)))
        assert stored_items(app.storage) == items and app.storage.count_runs() == items
        return items / seconds
    finally:
        app.close()


def measure_loader(scratch: Path, postgres: str | None, items: int, batch: int,
                   rounds: int) -> list[Row]:
    backends: list[tuple[str, Callable[[int], DatabaseConfig], Callable[[int], None]]] = [
        ("SQLite", lambda i: sqlite_database(scratch / f"loader{i}.sqlite"), lambda i: None)]
    if postgres:
        from daggo_postgres.testing import database_config, drop_schema, unique_schema

        schemas = [unique_schema("daggo_bench_queue") for _ in range(rounds)]
        backends.append(("PostgreSQL", lambda i: database_config(postgres, schemas[i]),
                         lambda i: drop_schema(postgres, schemas[i])))
    rows = []
    for name, database, cleanup in backends:
        rates = []
        for i in range(rounds):
            try:
                rates.append(loader_round(database(i), items, batch))
            finally:
                cleanup(i)
        median = statistics.median(rates)
        rows.append(Row(f"loader: batches of {batch:,}, median (min-max) of {rounds}",
                        name, f"{items:,}",
                        f"{median:,.0f} ({min(rates):,.0f}-{max(rates):,.0f}) items/s",
                        f"{LOADER_TARGET:,.0f}/s {met(median >= LOADER_TARGET)}"))
    return rows


# ---------------------------------------------------------------------------- latency


def first_step_ms(storage: Storage, item_id: str) -> float:
    """Once the item's run has finished: ms from the item's acceptance to its step's
    STEP_STARTED event."""
    def finished() -> list[Run]:
        return [run for run in storage.list_item_runs(item_id) if run.is_finished]

    (run,) = wait_for(finished, 30, "the item's run to finish")
    (started,) = storage.list_events(run.id, STEP_STARTED, limit=1)
    accepted_at = storage.get_item(item_id).created_at
    return (started.timestamp - accepted_at).total_seconds() * 1000


def measure_latency(scratch: Path, items: int, gap: float, warm_workers: int) -> list[Row]:
    database = scratch / "latency.sqlite"
    env = {"DAGGO_SQLITE_PATH": str(database),
           "DAGGO_EXECUTION_WARM_WORKERS": str(warm_workers)}
    latencies = []
    with server(["-m", "daggo_core.cli.main", "run", "-f", str(BENCH_DIR / "queue_app.py")],
                env, scratch) as port:
        storage = open_storage(sqlite_database(database))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for n in range(items + 1):
                time.sleep(gap)  # between pushes: the pool refills meanwhile
                connection.request("POST", "/rpc/Queues.Push", body=json.dumps(
                    {"queue": QUEUE, "items": [{"n": n}]}),
                    headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                assert response.status == 200, answer
                (item_id,) = answer["accepted"]
                latencies.append(first_step_ms(storage, item_id))
        finally:
            connection.close()
            storage.close()
    timed = latencies[1:]  # the first push warms the server's own paths
    median = statistics.median(timed)
    p95 = statistics.quantiles(timed, n=20, method="inclusive")[-1]
    return [Row(f"latency: created_at to first STEP_STARTED, {warm_workers} warm "
                f"worker(s), pushes {gap:g} s apart", "SQLite", f"{len(timed)}",
                f"median {median:.1f} ms, p95 {p95:.1f} ms, max {max(timed):.1f} ms",
                f"median < {LATENCY_TARGET_MS:g} ms {met(median < LATENCY_TARGET_MS)}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--push-seconds", type=float, default=5.0,
                        help="seconds of pushing to each endpoint (5)")
    parser.add_argument("--connections", type=int, default=4,
                        help="client connections posting at once (4)")
    parser.add_argument("--loader-items", type=int, default=10_000,
                        help="items the loader delivers per round (10000)")
    parser.add_argument("--batch", type=int, default=1000, help="loader batch size (1000)")
    parser.add_argument("-n", type=int, default=3, help="loader rounds per backend (3)")
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL to measure the loader on too")
    parser.add_argument("--latency-items", type=int, default=50,
                        help="items timed from acceptance to first step (50)")
    parser.add_argument("--gap", type=float, default=0.8,
                        help="seconds between the latency pushes (0.8)")
    parser.add_argument("--warm-workers", type=int, default=1,
                        help="execution.warm_workers of the latency server (1)")
    args = parser.parse_args()
    if not args.postgres:
        print("PostgreSQL: skipped (pass --postgres URL or set DAGGO_TEST_POSTGRES_URL)")
    scratch = Path(tempfile.mkdtemp(prefix="daggo-queues-"))
    try:
        rows = [*measure_push(scratch, args.push_seconds, args.connections),
                *measure_loader(scratch, args.postgres, args.loader_items, args.batch, args.n),
                *measure_latency(scratch, args.latency_items, args.gap, args.warm_workers)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    table = Table(title="Queue ingestion: one queue, one one-op job",
                  caption="push and loader: ingestion only (nothing executes the runs: "
                          "no runtime); latency: daggo run, subprocess executor, pushes "
                          f"over HTTP. {os.cpu_count()} CPUs, load average "
                          f"{os.getloadavg()[0]:.1f} after measuring")
    for column in ("measurement", "backend", "items", "result", "target"):
        table.add_column(column, no_wrap=column != "measurement")
    for row in rows:
        table.add_row(row.measurement, row.backend, row.items, row.result, row.target)
    Console(width=160).print(table)


if __name__ == "__main__":
    main()

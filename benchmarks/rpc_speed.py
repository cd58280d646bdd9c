"""RPC speed: the requests users click most, over 100,000 stored runs, on each backend.

    python benchmarks/rpc_speed.py [-n 30] [--runs 100000] [--lines 100000]
        [--duration 10] [--connections 8] [--processes 1,2] [--postgres URL]
        [--throughput-only]

Set-up of each backend (not timed): a fresh SQLite file and, with --postgres (or
DAGGO_TEST_POSTGRES_URL), a throw-away PostgreSQL schema, dropped afterwards. Into it go
`--runs` finished runs of the ten jobs of `rpc_app.py` (one second apart; 90 % SUCCESS,
8 % FAILURE, 2 % CANCELED), inserted in bulk in transactions of 10,000; a run with
`--lines` log lines, stored as log_read.py stores them, ending with its RUN_SUCCESS
event; and one run of `job_0` executed for real (its steps and events), the run
`Runs.Get` reads; on PostgreSQL then `ANALYZE`, as autovacuum would within a minute.
Each `Jobs.Launch` is timed on an idle server: the next waits (untimed) until the server
has executed the launched run.

Each request is timed -n times, in three places (median, and the slowest):

- service: the RPC method's service call on the request message, in this process;
- ASGI: the whole request through the app's ASGI application in this process (Quart's
  test client: routing, body parsing, the call, the JSON response);
- HTTP: over loopback to `daggo run -f rpc_app.py` serving the same database (Hypercorn,
  one process, in-process executor), one keep-alive connection, one request at a time.

Throughput: `wrk` (`make bench-tools` installs it) posts `Runs.Get` to the server from
`--connections` connections for `--duration` seconds; requests per second and the p50 and
p99 latencies, no error allowed; once for each count of `--processes` (the server's
`admin.processes`, each process answering a health check before wrk starts).

Event latency: a client follows `GET /rpc/Runs.Stream` of a STARTED run over loopback;
this process stores one LOG event at a time (as a worker does) and times it until the
client has read it (`daggo_core.testing.sse.stream_latencies`).

Prints one table per backend, then the throughput and event-latency tables.
`--throughput-only` measures only the throughput row (the set-up is the same).
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attrs import frozen
from bench_timing import timed
from log_read import fill
from rich.console import Console
from rich.table import Table
from rpc_app import JOB_COUNT, JOBS, defs
from run_history import seed_runs
from sqlalchemy import text

import daggo_core
from daggo_core import DaggoApp
from daggo_core.config import DatabaseConfig, default_config
from daggo_core.rpc.registry import core_rpc_methods
from daggo_core.serde import structure_strict
from daggo_core.services import Services
from daggo_core.services.sync import sync_definitions
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import Event, EventKind, Run, RunStatus, utcnow
from daggo_core.storage.sql import SqlStorage
from daggo_core.testing import sse
from daggo_core.testing.processes import free_port, wait_healthy
from daggo_sqlite.testing import database_config as sqlite_database

BENCH_DIR = Path(__file__).resolve().parent
#: daggo's own RPC methods (the benchmark app has no plugins).
METHODS = core_rpc_methods()
#: Targets, ms: a page or a run read in the server, a launch, an event to a stream client.
READ_TARGET_MS, LAUNCH_TARGET_MS, STREAM_TARGET_MS = 20.0, 10.0, 100.0
#: Requests per second `Runs.Get` should sustain.
THROUGHPUT_TARGET = 1000.0
ACTIVE = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.STARTED)


@frozen
class Case:
    """One request to time: `body` is its JSON request message."""

    label: str
    method: str
    body: dict[str, Any]
    target_ms: float
    #: Run untimed after each call (a launch: until the server has executed the run).
    between: Callable[[], None] | None = None


@frozen
class Timings:
    """Seconds of each call, per place: "service", "ASGI", "HTTP"."""

    case: Case
    seconds: dict[str, list[float]]


@frozen
class Backend:
    """A database to measure: its config, the environment `daggo run` needs for it and
    how to throw it away."""

    name: str
    database: DatabaseConfig
    env: dict[str, str]
    cleanup: Callable[[], None]


# ---------------------------------------------------------------------------- set-up


def call(services: Services, method: str, body: dict[str, Any]) -> Any:
    """The service's answer to the RPC request `body` of `method`."""
    rpc = METHODS[method]
    return rpc.call(services, structure_strict(body, rpc.request) if rpc.request else None)


def page_cursor(services: Services, method: str, body: dict[str, Any], page: int) -> str:
    """The cursor of page `page` (1: the first) of a list, following `next_cursor`."""
    cursor = None
    for _ in range(page - 1):
        cursor = call(services, method, {**body, "cursor": cursor}).next_cursor
        assert cursor is not None, f"{method} {body} has fewer than {page} pages"
    assert cursor is not None
    return cursor


def cases(services: Services, log_run: str, executed_run: str, lines: int) -> list[Case]:
    """The requests to time, with the cursors of their deep pages. Each launch is timed
    on an idle server: the next one waits until the server has executed its run."""
    found: list[Case] = []
    for what, query in (("all runs", {}), ("job job_3", {"job": "job_3"}),
                        ("status FAILURE", {"statuses": ["FAILURE"]})):
        found.append(Case(f"Runs.GetMany {what}, page 1", "Runs.GetMany", query,
                          READ_TARGET_MS))
        cursor = page_cursor(services, "Runs.GetMany", query, 10)
        found.append(Case(f"Runs.GetMany {what}, page 10", "Runs.GetMany",
                          {**query, "cursor": cursor}, READ_TARGET_MS))
    found.append(Case("Runs.GetMany job job_3 and status FAILURE, page 1", "Runs.GetMany",
                      {"job": "job_3", "statuses": ["FAILURE"]}, READ_TARGET_MS))
    events = {"run_id": log_run}
    middle = lines // 1000 // 2
    found += [
        Case("Runs.Events, first page of 1,000", "Runs.Events", events, READ_TARGET_MS),
        Case(f"Runs.Events, page {middle} of 1,000 (cursor)", "Runs.Events",
             {**events, "cursor": page_cursor(services, "Runs.Events", events, middle)},
             READ_TARGET_MS),
        Case("Runs.Events, tail of 1,000", "Runs.Events", {**events, "tail": True},
             READ_TARGET_MS),
        Case("Runs.Get, an executed 3-op run", "Runs.Get", {"run_id": executed_run},
             READ_TARGET_MS),
        Case(f"Runs.Get, the run with {lines:,} log lines", "Runs.Get", {"run_id": log_run},
             READ_TARGET_MS),
        Case("Jobs.Launch", "Jobs.Launch", {"job": "job_1"}, LAUNCH_TARGET_MS,
             between=lambda: settled(services.context.storage)),
    ]
    return found


def settled(storage: Storage, timeout: float = 30.0) -> None:
    """Wait until no run is queued or running."""
    deadline = time.monotonic() + timeout
    while storage.count_runs(RunFilter(statuses=ACTIVE)):
        assert time.monotonic() < deadline, f"runs still active after {timeout:g} s"
        time.sleep(0.002)


# ---------------------------------------------------------------------------- timing


def service_seconds(services: Services, case: Case, n: int) -> list[float]:
    rpc = METHODS[case.method]
    message = structure_strict(case.body, rpc.request) if rpc.request else None
    rpc.call(services, message)  # warm-up: statements compiled, caches filled
    if case.between:
        case.between()
    return timed(lambda: rpc.call(services, message), n, case.between)


def asgi_seconds(app: DaggoApp, case: Case, n: int) -> list[float]:
    data = json.dumps(case.body)
    headers = {"Content-Type": "application/json"}

    async def measure() -> list[float]:
        client = app.asgi.test_client()
        seconds = []
        for _ in range(n + 1):
            start = time.perf_counter()
            response = await client.post(f"/rpc/{case.method}", data=data, headers=headers)
            await response.get_data()
            seconds.append(time.perf_counter() - start)
            assert response.status_code == 200, f"{case.method}: {response.status_code}"
            if case.between:
                case.between()
        return seconds[1:]

    return asyncio.run(measure())


def http_seconds(port: int, case: Case, n: int) -> list[float]:
    data = json.dumps(case.body).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        def post() -> None:
            connection.request("POST", f"/rpc/{case.method}", body=data,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, f"{case.method}: HTTP {response.status}"

        post()
        if case.between:
            case.between()
        return timed(post, n, case.between)
    finally:
        connection.close()


# ---------------------------------------------------------------------------- the server


@contextmanager
def served(backend: Backend, scratch: Path, processes: int = 1) -> Iterator[int]:
    """`daggo run -f rpc_app.py` on the backend's database, serving from `processes`
    processes (`admin.processes`); yields its port."""
    port = free_port()
    env = {**os.environ, **backend.env, "DAGGO_ADMIN_PORT": str(port),
           "DAGGO_ADMIN_PROCESSES": str(processes),
           "DAGGO_SCHEDULER_ENABLED": "false", "DAGGO_EXECUTION_EXECUTOR": "in_process"}
    log = (scratch / f"server-{backend.name}-{processes}.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "daggo_core.cli.main", "run", "-f", str(BENCH_DIR / "rpc_app.py")],
        cwd=scratch, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def wait_serving(port: int, processes: int, timeout: float = 30.0) -> None:
    """Wait until each of the server's `processes` has answered a health check (new
    connections are spread over them by the kernel)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < processes:
        assert time.monotonic() < deadline, f"only {len(seen)} of {processes} processes serve"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("POST", "/rpc/System.Health", body=b"{}")
            seen.add(json.loads(connection.getresponse().read())["process"]["pid"])
        finally:
            connection.close()


@frozen
class Throughput:
    requests: int
    per_second: float
    p50_ms: float
    p99_ms: float


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_throughput(port: int, run_id: str, connections: int, duration: float,
                   scratch: Path) -> Throughput:
    """`wrk` posting `Runs.Get` of `run_id`; fails on any error or non-200 answer."""
    script = scratch / "runs_get.lua"
    script.write_text('wrk.method = "POST"\n'
                      f"wrk.body = '{json.dumps({'run_id': run_id})}'\n"
                      'wrk.headers["Content-Type"] = "application/json"\n')
    done = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration:g}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}/rpc/Runs.Get"],
        check=True, capture_output=True, text=True)
    out = done.stdout
    assert "Non-2xx" not in out and "Socket errors" not in out, out

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert found, out
        return float(found[1]) * _UNITS_MS[found[2]]

    requests = re.search(r"^\s+(\d+) requests in", out, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.MULTILINE)
    assert requests and rate, out
    return Throughput(int(requests[1]), float(rate[1]), latency("50"), latency("99"))


def stream_latencies(port: int, storage: Storage, n: int) -> list[float]:
    """Seconds from storing a LOG event of a STARTED run (in this process, as a worker
    does) to a `Runs.Stream` client reading it, for `n` events."""
    run = Run(job_name="job_2", status=RunStatus.STARTED, started_at=utcnow(),
              worker_id="rpc-speed", heartbeat_at=utcnow())
    storage.add_run(run)
    try:
        return sse.stream_latencies(f"http://127.0.0.1:{port}", storage, run.id, samples=n)
    finally:
        storage.set_run_status(run.id, RunStatus.SUCCESS)


# ---------------------------------------------------------------------------- per backend


@frozen
class Measured:
    backend: str
    timings: list[Timings]
    #: By the number of server processes.
    throughput: dict[int, Throughput | str]
    stream: list[float]
    seed_seconds: float
    #: The machine's 1-minute load average when the measurements ended.
    load: float


def measure(backend: Backend, args: argparse.Namespace, scratch: Path) -> Measured:
    cfg = default_config()
    cfg.database = backend.database
    cfg.scheduler.enabled = False
    app = daggo_core.open(cfg, defs)
    try:
        storage = app.services.context.storage
        assert isinstance(storage, SqlStorage)
        started = time.perf_counter()
        log_run = fill(storage, args.lines)
        storage.add_events([Event(run_id=log_run, kind=EventKind.RUN_SUCCESS, level="INFO",
                                  message="run succeeded")])  # how a real log ends
        sync_definitions(storage, defs)  # fill() synced its own job only
        seed_runs(storage, args.runs, jobs=JOB_COUNT)
        executed = daggo_core.execute(JOBS[0], storage=storage)
        assert executed.success
        if backend.name == "PostgreSQL":
            # What autovacuum does within a minute of a bulk load: without statistics
            # of the new rows, the first event pages are planned 5 times slower.
            with storage.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        seed_seconds = time.perf_counter() - started
        app.services.context.storage.warm_up()
        to_time = ([] if args.throughput_only
                   else cases(app.services, log_run, executed.run_id, args.lines))
        with served(backend, scratch) as port:
            timings = []
            for case in to_time:
                timings.append(Timings(case, {
                    "service": service_seconds(app.services, case, args.n),
                    "ASGI": asgi_seconds(app, case, args.n),
                    "HTTP": http_seconds(port, case, args.n)}))
            stream = [] if args.throughput_only else stream_latencies(port, storage, args.n)
        throughput: dict[int, Throughput | str] = {}
        for processes in args.processes:
            if not shutil.which("wrk"):
                throughput[processes] = "wrk is not installed (make bench-tools installs it)"
                continue
            with served(backend, scratch, processes) as port:
                wait_serving(port, processes)
                throughput[processes] = wrk_throughput(
                    port, executed.run_id, args.connections, args.duration, scratch)
        return Measured(backend.name, timings, throughput, stream, seed_seconds,
                        os.getloadavg()[0])
    finally:
        app.close()
        backend.cleanup()


# ---------------------------------------------------------------------------- output


def ms(values: list[float]) -> str:
    """Median and slowest, in ms."""
    return f"{statistics.median(values) * 1000:.2f} (max {max(values) * 1000:.1f})"


def verdict(value_ms: float, target_ms: float) -> str:
    return f"< {target_ms:g} ms " + ("(met)" if value_ms < target_ms else "(NOT met)")


def print_tables(results: list[Measured], args: argparse.Namespace) -> None:
    console = Console(width=160)
    for result in results if not args.throughput_only else []:
        table = Table(title=f"RPC on {result.backend}: {args.runs:,} runs, a run of "
                            f"{args.lines:,} log lines; ms, median (max) of {args.n}",
                      caption=f"stored in {result.seed_seconds:.1f} s (not timed); load average "
                              f"{result.load:.1f} on {os.cpu_count()} CPUs after measuring")
        for column in ("request", "service", "ASGI in-process", "HTTP loopback",
                       "target (ASGI)"):
            table.add_column(column, no_wrap=column != "request")
        for timing in result.timings:
            asgi = statistics.median(timing.seconds["ASGI"]) * 1000
            table.add_row(timing.case.label, *(ms(timing.seconds[place])
                                               for place in ("service", "ASGI", "HTTP")),
                          verdict(asgi, timing.case.target_ms))
        console.print(table)
    table = Table(title=f"Runs.Get over loopback: wrk, {args.connections} connections, "
                        f"{args.duration:g} s; server: daggo run (Hypercorn) with "
                        "admin.processes as given")
    for column in ("backend", "processes", "requests", "req/s", "p50 ms", "p99 ms", "target"):
        table.add_column(column)
    for result in results:
        for processes, got in result.throughput.items():
            if isinstance(got, str):
                table.add_row(result.backend, str(processes), got, "", "", "", "")
                continue
            table.add_row(result.backend, str(processes), f"{got.requests:,}",
                          f"{got.per_second:.0f}", f"{got.p50_ms:.2f}", f"{got.p99_ms:.2f}",
                          f"> {THROUGHPUT_TARGET:g}/s " + (
                              "(met)" if got.per_second > THROUGHPUT_TARGET else "(NOT met)"))
    console.print(table)
    if args.throughput_only:
        return
    table = Table(title=f"Event latency: stored to read by a Runs.Stream client, ms, "
                        f"{args.n} events")
    for column in ("backend", "median", "p90", "max", "target"):
        table.add_column(column)
    for result in results:
        values = sorted(v * 1000 for v in result.stream)
        median = statistics.median(values)
        table.add_row(result.backend, f"{median:.1f}", f"{values[int(len(values) * 0.9) - 1]:.1f}",
                      f"{values[-1]:.1f}", verdict(median, STREAM_TARGET_MS))
    console.print(table)


def backends(scratch: Path, postgres: str | None) -> Iterator[Backend]:
    path = scratch / "rpc.sqlite"
    yield Backend("SQLite", sqlite_database(path), {"DAGGO_SQLITE_PATH": str(path)},
                  lambda: None)
    if not postgres:
        print("PostgreSQL: skipped (pass --postgres URL or set DAGGO_TEST_POSTGRES_URL)")
        return
    import psycopg

    from daggo_postgres.testing import database_config, drop_schema, unique_schema

    try:
        psycopg.connect(postgres, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL: skipped, {postgres} is unreachable ({exc})")
        return
    schema = unique_schema("daggo_bench_rpc")
    yield Backend("PostgreSQL", database_config(postgres, schema),
                  {"DAGGO_DATABASE_DRIVER": "postgres", "DAGGO_POSTGRES_DSN": postgres,
                   "DAGGO_POSTGRES_SCHEMA": schema},
                  lambda: drop_schema(postgres, schema))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=30, help="timed calls per request (30)")
    parser.add_argument("--runs", type=int, default=100_000, help="stored runs (100000)")
    parser.add_argument("--lines", type=int, default=100_000, help="log lines (100000)")
    parser.add_argument("--duration", type=float, default=10.0, help="wrk seconds (10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL to measure too")
    parser.add_argument("--processes", type=lambda text: [int(n) for n in text.split(",")],
                        default=[1, 2], help="server processes (admin.processes) to "
                        "measure the throughput with, comma-separated (1,2)")
    parser.add_argument("--throughput-only", action="store_true",
                        help="measure only the wrk throughput row")
    args = parser.parse_args()
    if not args.throughput_only:
        assert args.runs >= 10_000, "--runs: at least 10,000 (ten pages of each filter)"
        assert args.lines >= 2000, "--lines: at least 2,000 (a middle page)"
    scratch = Path(tempfile.mkdtemp(prefix="daggo-rpc-"))
    try:
        results = [measure(backend, args, scratch)
                   for backend in backends(scratch, args.postgres)]
        print_tables(results, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Celery scale-out: one server, N Celery worker processes on this machine, 1,000 queued
short runs.

    python benchmarks/celery_scale.py [--runs 1000] [--workers 1,2,4] [--latency 20]
                                      [--repeat 1] [--layout nodes|processes] [--postgres URL]
                                      [--broker URL] [--logs DIR]

For each N: a fresh database (PostgreSQL in a throw-away schema with --postgres or
DAGGO_TEST_POSTGRES_URL, else a SQLite file), a `daggo run` server with
`execution.executor = "celery"` publishing to a queue of its own on --broker (default
DAGGO_TEST_REDIS_URL, else redis://127.0.0.1:6379/0), and N `daggo worker celery
--concurrency 1` processes (one pool process each; with --layout processes, one worker
of N pool processes). Timed:

- throughput: --runs runs of a one-op job queued (`Jobs.Launch` in a loop) before the
  workers start; from the moment the N pool processes have all registered to the last
  run's end, the runs that ended in that window per second, and the speed-up over N = 1;
- latency: then --latency runs launched one after another onto the idle workers, each
  waited for; from the run's creation (QUEUED) to its step's start, median (max).

Prints a Rich table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from daggo_core.config import DatabaseConfig, default_config
from daggo_core.plugins import make_plugin_manager
from daggo_core.services import ServiceContext, Services
from daggo_core.services.jobs import JobsLaunchRequest
from daggo_core.services.workers import WorkersGetManyRequest
from daggo_core.storage.base import RunFilter, Storage
from daggo_core.storage.records import TERMINAL_RUN_STATUSES, utcnow
from daggo_core.testing.processes import free_port, wait_for, wait_healthy
from daggo_sqlite.testing import database_config as sqlite_database

DAGGO = [sys.executable, "-m", "daggo_core.cli.main"]
APP = '''
from attrs import frozen
from daggo_core import Context, Definitions, NoInput, dag

@frozen
class Done:
    ok: bool

def short(ctx: Context, inp: NoInput) -> Done:
    return Done(ok=True)

defs = Definitions(jobs=[dag.job("short").add(dag.op("short", short)).build()])
'''


@contextlib.contextmanager
def database(postgres: str | None, work: Path) -> Iterator[tuple[DatabaseConfig,
                                                                 dict[str, str]]]:
    """A fresh database, and the variables selecting it in a child process."""
    if postgres is None:
        path = str(work / "celery.sqlite")
        yield sqlite_database(path), {"DAGGO_DATABASE_DRIVER": "sqlite",
                                      "DAGGO_SQLITE_PATH": path}
        return
    from daggo_postgres.testing import database_config, drop_schema, unique_schema

    schema = unique_schema("daggo_bench")
    try:
        yield database_config(postgres, schema), {"DAGGO_DATABASE_DRIVER": "postgres",
                                                  "DAGGO_POSTGRES_DSN": postgres,
                                                  "DAGGO_POSTGRES_SCHEMA": schema}
    finally:
        drop_schema(postgres, schema)


def start(command: list[str], cwd: Path, env: dict[str, str], log: str,
          procs: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    out = (cwd / log).open("wb")
    proc = subprocess.Popen([*DAGGO, *command], cwd=cwd, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(proc)
    return proc


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def finished(storage: Storage, run_ids: list[str], timeout: float) -> None:
    wait_for(lambda: all(r.is_finished for r in storage.get_runs(run_ids)), timeout,
             f"{len(run_ids)} runs to finish")


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


def _named(name: str) -> list[int]:
    """The processes whose command is `name`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
    return pids


def _machine_busy() -> tuple[float, float]:
    """(busy, all) CPU seconds of the machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


class CpuMeter:
    """CPU seconds spent by each part of the system under test over a window."""

    def __init__(self, parts: dict[str, Callable[[], list[int]]]) -> None:
        self.parts = parts
        self.start: dict[int, float] = {}
        self.busy = (0.0, 0.0)

    def begin(self) -> None:
        self.start = {pid: _cpu_seconds(pid) for pid in self._pids()}
        self.busy = _machine_busy()

    def end(self) -> dict[str, float]:
        """CPU seconds per part, and `machine` (busy share of all CPUs) since `begin`."""
        spent = {name: sum(_cpu_seconds(pid) - self.start.get(pid, 0.0) for pid in pids())
                 for name, pids in self.parts.items()}
        busy, total = _machine_busy()
        spent["machine"] = (busy - self.busy[0]) / max(total - self.busy[1], 1e-9)
        return spent

    def _pids(self) -> list[int]:
        return [pid for pids in self.parts.values() for pid in pids()]


def all_finished(storage: Storage, batch: RunFilter, runs: int, timeout: float) -> None:
    """Wait for the `runs` runs of `batch` to finish, counting them five times a second:
    the waiting must not take the CPU and database time the system under test needs."""
    deadline = time.monotonic() + timeout
    while storage.count_runs(batch) < runs:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {runs} runs")
        time.sleep(0.2)


def measure(workers: int, repeat: int, args: argparse.Namespace,
            scratch: Path) -> dict[str, float]:
    work = scratch / f"n{workers}-{repeat}"
    work.mkdir()
    (work / "app.py").write_text(APP)
    port = free_port()
    with database(args.postgres, work) as (config, selecting):
        env = {**os.environ, **selecting,
               "DAGGO_EXECUTION_EXECUTOR": "celery",
               "DAGGO_EXECUTION_MAX_CONCURRENT_RUNS": "64",
               "DAGGO_CELERY_BROKER_URL": args.broker,
               "DAGGO_CELERY_DEFAULT_QUEUE": f"daggo-bench-{uuid.uuid4().hex[:12]}",
               "DAGGO_SCHEDULER_ENABLED": "false",
               "DAGGO_ADMIN_PORT": str(port)}
        procs: list[subprocess.Popen[bytes]] = []
        storage = make_plugin_manager().storage_backend(config.driver).open(config)
        try:
            wait_healthy(port, start(["run", "-f", "app.py"], work, env, "server.log", procs),
                         timeout=60)
            services = Services.over(ServiceContext(storage=storage, config=default_config(),
                                                    hooks=make_plugin_manager()))

            def launch() -> str:
                return services.jobs.launch(JobsLaunchRequest(job="short")).run.id

            launched_at = utcnow()  # queued before any worker starts
            run_ids = [launch() for _ in range(args.runs)]
            if args.layout == "nodes":
                for i in range(workers):
                    start(["worker", "celery", "-f", "app.py", "--concurrency=1",
                           f"--hostname=bench{i}@%h"], work, env, f"worker{i}.log", procs)
            else:
                start(["worker", "celery", "-f", "app.py", f"--concurrency={workers}",
                       "--hostname=bench@%h"], work, env, "worker.log", procs)
            wait_for(lambda: len(services.workers.get_many(WorkersGetManyRequest()).workers)
                     >= workers, 60, f"{workers} Celery pool processes to register")
            all_started = utcnow()
            meter = CpuMeter({
                "server": lambda: _tree(procs[0].pid),
                "workers": lambda: [pid for proc in procs[1:] for pid in _tree(proc.pid)],
                "database": lambda: _named("postgres"),
                "broker": lambda: _named("redis-server") + _named("beam.smp"),
            })
            meter.begin()
            all_finished(storage, RunFilter(job_name="short", created_after=launched_at,
                                            statuses=tuple(TERMINAL_RUN_STATUSES)),
                         args.runs, 1800)
            cpu = meter.end()
            ends = [run.finished_at for run in storage.get_runs(run_ids)
                    if run.finished_at is not None and run.finished_at >= all_started]
            throughput = len(ends) / (max(ends) - all_started).total_seconds()
            per_run = {f"cpu_{name}": seconds / len(ends) for name, seconds in cpu.items()
                       if name != "machine"}
            latencies = []
            for _ in range(args.latency):
                run_id = launch()
                finished(storage, [run_id], 60)
                run = storage.get_run(run_id)
                (step,) = storage.list_steps(run_id)
                assert step.started_at is not None
                latencies.append((step.started_at - run.created_at).total_seconds())
            return {"runs_per_second": throughput, **per_run, "busy": cpu["machine"],
                    "latency_median": statistics.median(latencies),
                    "latency_max": max(latencies)}
        finally:
            stop(procs)
            storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4", help="N values, comma-separated")
    parser.add_argument("--latency", type=int, default=20, help="runs timed one by one")
    parser.add_argument("--postgres", default=os.environ.get("DAGGO_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--broker", default=os.environ.get("DAGGO_TEST_REDIS_URL",
                                                           "redis://127.0.0.1:6379/0"))
    parser.add_argument("--repeat", type=int, default=1,
                        help="measure each N this many times; the table shows the median")
    parser.add_argument("--layout", choices=("nodes", "processes"), default="nodes",
                        help="N workers of one pool process each (nodes), or one worker "
                        "of N pool processes (processes)")
    parser.add_argument("--logs", metavar="DIR",
                        help="keep the processes' logs in DIR (an empty directory)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    results: dict[int, dict[str, float]] = {}
    with (contextlib.nullcontext(args.logs) if args.logs
          else tempfile.TemporaryDirectory(prefix="daggo-celery-")) as scratch:
        samples: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
        for repeat in range(args.repeat):  # N = 1, 2, 4, then again: drift hits each N
            for n in counts:
                started = time.perf_counter()
                samples[n].append(measure(n, repeat, args, Path(scratch)))
                print(f"N = {n}: {samples[n][-1]['runs_per_second']:.1f} runs/s "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        for n, taken in samples.items():  # the median measurement of each N
            results[n] = sorted(taken, key=lambda row: row["runs_per_second"])[len(taken) // 2]
    storage_name = "PostgreSQL" if args.postgres else "SQLite"
    layout = "N workers of 1 pool process" if args.layout == "nodes" else \
        "1 worker of N pool processes"
    table = Table(title=f"Celery scale-out: {args.runs:,} short runs, {layout}, "
                        f"{storage_name}, broker {args.broker.split(':', 1)[0]}, "
                        f"{os.cpu_count()} CPUs, median of {args.repeat}")
    for column in ("workers (N)", "runs/s", "vs N = 1", "queued -> first step, median (max)",
                   "CPU busy", "CPU ms per run: server / workers / database / broker"):
        table.add_column(column)
    base = results[counts[0]]["runs_per_second"]
    for n, row in results.items():
        table.add_row(str(n), f"{row['runs_per_second']:.1f}",
                      f"{row['runs_per_second'] / base:.2f}x",
                      f"{row['latency_median'] * 1000:.0f} ms ({row['latency_max'] * 1000:.0f})",
                      f"{row['busy']:.0%}",
                      " / ".join(f"{row[f'cpu_{part}'] * 1000:.1f}"
                                 for part in ("server", "workers", "database", "broker")))
    Console().print(table)


if __name__ == "__main__":
    main()
